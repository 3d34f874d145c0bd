/** The worker's model status (state, provider, fallbacks, memory), kept current through model.onStatus. */
import { useCallback, useEffect, useState } from 'react'
import type { ModelStatus, SmolvlmApi } from '../../../shared/api.ts'
import { errorMessage } from '../api.ts'

export interface ModelStatusHandle {
  readonly status: ModelStatus | null
  readonly busy: boolean
  load(): Promise<void>
  unload(): Promise<void>
}

export function useModelStatus(api: SmolvlmApi, onError: (message: string) => void): ModelStatusHandle {
  const [status, setStatus] = useState<ModelStatus | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    let live = true
    const off = api.model.onStatus((value) => setStatus(value))
    api.model.status().then(
      (value) => {
        if (live) setStatus((current) => current ?? value)
      },
      () => undefined
    )
    return () => {
      live = false
      off()
    }
  }, [api])

  const run = useCallback(
    async (action: () => Promise<ModelStatus>) => {
      setBusy(true)
      try {
        setStatus(await action())
      } catch (error) {
        onError(errorMessage(error))
      } finally {
        setBusy(false)
      }
    },
    [onError]
  )

  const load = useCallback(() => run(() => api.model.load()), [api, run])
  const unload = useCallback(() => run(() => api.model.unload()), [api, run])
  return { status, busy, load, unload }
}
