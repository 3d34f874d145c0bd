/**
 * The watched folder (one at a time, run by the host): its status as the host reports it, and the images that
 * finish arriving in it, handed to `onImages` to be put on the list and described.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ImageRef, SmolvlmApi, WatchStatus } from '../../../shared/api.ts'
import { NOT_WATCHING } from '../../../shared/watch.ts'
import { errorMessage } from '../api.ts'

export interface WatchFolder {
  readonly status: WatchStatus
  /** Asks the host for a folder (its dialog) and watches it. */
  start(writeCaptionFiles: boolean): Promise<void>
  stop(): Promise<void>
}

export function useWatchFolder(
  api: SmolvlmApi,
  onImages: (images: readonly ImageRef[]) => void,
  onError: (text: string) => void
): WatchFolder {
  const [status, setStatus] = useState<WatchStatus>(NOT_WATCHING)
  const latest = useRef(onImages)
  useEffect(() => {
    latest.current = onImages
  })

  useEffect(() => {
    let live = true
    const off = api.watch.onStatus((next) => setStatus(next))
    const offImages = api.watch.onImages((images) => latest.current(images))
    // The host may already be watching (a folder kept from the last run).
    api.watch.status().then(
      (next) => live && setStatus(next),
      () => undefined
    )
    return () => {
      live = false
      off()
      offImages()
    }
  }, [api])

  const start = useCallback(
    async (writeCaptionFiles: boolean) => {
      try {
        setStatus(await api.watch.start({ writeCaptionFiles }))
      } catch (error) {
        onError(`The folder is not watched: ${errorMessage(error)}`)
      }
    },
    [api, onError]
  )
  const stop = useCallback(async () => {
    try {
      setStatus(await api.watch.stop())
    } catch (error) {
      onError(errorMessage(error))
    }
  }, [api, onError])

  return { status, start, stop }
}
