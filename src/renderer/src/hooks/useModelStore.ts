/**
 * The model store as the page sees it: the catalog, installed models, disk usage, and the progress of each
 * download (by model ref) from store.onProgress. `available` is false when the app runs without a store (the
 * host then uses a fixed model folder).
 */
import { useCallback, useEffect, useState } from 'react'
import type {
  CatalogEntryInfo,
  DiskUsageInfo,
  ImportMode,
  InstalledModelInfo,
  PullOutcome,
  SmolvlmApi,
  StoreProgressEvent,
  VariantChoice,
  VerifyReportInfo
} from '../../../shared/api.ts'
import { errorMessage } from '../api.ts'

export interface StoreSnapshot {
  readonly loaded: boolean
  readonly available: boolean
  /** Why the store is unavailable (the host's sentence). */
  readonly unavailableReason: string | null
  readonly catalog: readonly CatalogEntryInfo[]
  readonly installed: readonly InstalledModelInfo[]
  readonly disk: DiskUsageInfo | null
  /** The latest progress event per model ref. */
  readonly downloads: Readonly<Record<string, StoreProgressEvent>>
}

export interface ModelStoreHandle extends StoreSnapshot {
  refresh(): Promise<StoreSnapshot>
  pull(ref: string, variant?: VariantChoice): Promise<PullOutcome>
  pause(ref: string): Promise<void>
  cancel(ref: string): Promise<void>
  verify(ref: string): Promise<VerifyReportInfo | null>
  remove(ref: string): Promise<boolean>
  importFolder(mode: ImportMode): Promise<InstalledModelInfo | null>
}

const EMPTY: StoreSnapshot = {
  loaded: false,
  available: false,
  unavailableReason: null,
  catalog: [],
  installed: [],
  disk: null,
  downloads: {}
}

async function fetchSnapshot(api: SmolvlmApi): Promise<Omit<StoreSnapshot, 'downloads'>> {
  try {
    const [catalog, installed, disk] = await Promise.all([
      api.store.catalog(),
      api.store.installed(),
      api.store.diskUsage()
    ])
    return { loaded: true, available: true, unavailableReason: null, catalog, installed, disk }
  } catch (error) {
    return { ...EMPTY, loaded: true, unavailableReason: errorMessage(error) }
  }
}

export function useModelStore(api: SmolvlmApi, onError: (message: string) => void): ModelStoreHandle {
  const [snapshot, setSnapshot] = useState<StoreSnapshot>(EMPTY)

  const apply = useCallback((next: Omit<StoreSnapshot, 'downloads'>): StoreSnapshot => {
    setSnapshot((current) => ({ ...next, downloads: current.downloads }))
    // Callers want what is installed; downloads in flight keep arriving through onProgress.
    return { ...next, downloads: {} }
  }, [])

  const refresh = useCallback(async () => apply(await fetchSnapshot(api)), [api, apply])

  useEffect(() => {
    let live = true
    void fetchSnapshot(api).then((next) => {
      if (live) apply(next)
    })
    const off = api.store.onProgress((event) => {
      setSnapshot((current) => ({ ...current, downloads: { ...current.downloads, [event.ref]: event } }))
      // A finished, cancelled or failed download changes what is installed and on disk.
      if (event.state !== 'running') void fetchSnapshot(api).then(apply)
    })
    return () => {
      live = false
      off()
    }
  }, [api, apply])

  const guard = useCallback(
    async <T>(action: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await action()
      } catch (error) {
        onError(errorMessage(error))
        return fallback
      } finally {
        void refresh()
      }
    },
    [onError, refresh]
  )

  const pull = useCallback(
    (ref: string, variant?: VariantChoice) =>
      guard<PullOutcome>(() => api.store.pull(ref, variant), {
        state: 'error',
        error: { code: 'download-failed', message: 'The download could not start.' }
      }),
    [api, guard]
  )
  const pause = useCallback(
    (ref: string) => guard(async () => void (await api.store.pause(ref)), undefined),
    [api, guard]
  )
  const cancel = useCallback(
    (ref: string) => guard(async () => void (await api.store.cancel(ref)), undefined),
    [api, guard]
  )
  const verify = useCallback(
    (ref: string) => guard<VerifyReportInfo | null>(() => api.store.verify(ref), null),
    [api, guard]
  )
  const remove = useCallback(
    (ref: string) => guard(async () => (await api.store.remove(ref)).removed, false),
    [api, guard]
  )
  const importFolder = useCallback(
    (mode: ImportMode) => guard<InstalledModelInfo | null>(() => api.store.importFolder(mode), null),
    [api, guard]
  )

  return { ...snapshot, refresh, pull, pause, cancel, verify, remove, importFolder }
}
