/** The app's settings: read once, kept in step with settings.onChange, changed through settings.update. */
import { useCallback, useEffect, useState } from 'react'
import type { Settings, SettingsPatch, SmolvlmApi } from '../../../shared/api.ts'
import { errorMessage } from '../api.ts'

export interface SettingsHandle {
  readonly settings: Settings | null
  readonly loadError: string | null
  /** Applies the change at once (optimistically) and saves it; on refusal the saved settings come back. */
  update(patch: SettingsPatch): Promise<boolean>
}

export function useSettings(api: SmolvlmApi, onError: (message: string) => void): SettingsHandle {
  const [settings, setSettings] = useState<Settings | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    api.settings.get().then(
      (value) => {
        if (live) setSettings(value)
      },
      (error: unknown) => {
        if (live) setLoadError(errorMessage(error))
      }
    )
    const off = api.settings.onChange((value) => setSettings(value))
    return () => {
      live = false
      off()
    }
  }, [api])

  const update = useCallback(
    async (patch: SettingsPatch): Promise<boolean> => {
      setSettings((current) => (current ? { ...current, ...patch } : current))
      try {
        setSettings(await api.settings.update(patch))
        return true
      } catch (error) {
        onError(`The setting was not saved: ${errorMessage(error)}`)
        api.settings.get().then(setSettings, () => undefined)
        return false
      }
    },
    [api, onError]
  )

  return { settings, loadError, update }
}
