import type { SmolvlmApi, Unsubscribe } from './api.ts'
import type { ImageRef } from './images.ts'
import type { ApiMethod, ApiPayload, ApiResults, PushEvent, PushPayload } from './ipc.ts'

/**
 * What a transport must provide to implement `window.smolvlm`: request/answer calls, push-event subscriptions,
 * and the three things that differ per transport (how dropped files and pasted bytes reach the host, and how a
 * job's events come back). The Electron preload and the browser test bridge both build the API from this, so
 * the bridge's tests exercise the same method-to-request mapping as the app.
 */
export interface ApiTransport {
  call<M extends ApiMethod>(method: M, payload: ApiPayload<M>): Promise<ApiResults[M]>
  subscribe<E extends PushEvent>(event: E, callback: (payload: PushPayload<E>) => void): Unsubscribe
  addFiles(files: readonly File[]): Promise<ImageRef[]>
  fromBytes(name: string, bytes: Uint8Array): Promise<ImageRef>
  describe: SmolvlmApi['describe']
  describeBatch: SmolvlmApi['describeBatch']
}

export function createApi(transport: ApiTransport): SmolvlmApi {
  const { call, subscribe } = transport
  return {
    version: 1,
    images: {
      add: (files) => transport.addFiles(files),
      open: (options) => call('images.open', { folders: options?.folders ?? false }),
      fromBytes: (name, bytes) => transport.fromBytes(name, bytes),
      thumbnail: (id) => call('images.thumbnail', { id }),
      metadata: (id) => call('images.metadata', { id }),
      onAdded: (callback) => subscribe('images-added', callback)
    },
    describe: transport.describe,
    describeBatch: transport.describeBatch,
    model: {
      status: () => call('model.status', {}),
      load: () => call('model.load', {}),
      unload: () => call('model.unload', {}),
      onStatus: (callback) => subscribe('model-status', callback)
    },
    store: {
      catalog: () => call('store.catalog', {}),
      installed: () => call('store.installed', {}),
      pull: (ref, variant) => call('store.pull', variant === undefined ? { ref } : { ref, variant }),
      pause: (ref) => call('store.pause', { ref }),
      cancel: (ref) => call('store.cancel', { ref }),
      verify: (ref) => call('store.verify', { ref }),
      remove: (ref) => call('store.remove', { ref }),
      importFolder: (mode) => call('store.importFolder', mode === undefined ? {} : { mode }),
      diskUsage: () => call('store.diskUsage', {}),
      onProgress: (callback) => subscribe('store-progress', callback)
    },
    settings: {
      get: () => call('settings.get', {}),
      update: (patch) => call('settings.update', patch),
      onChange: (callback) => subscribe('settings', callback)
    },
    results: {
      // Copies: values crossing contextBridge or JSON must be plain arrays.
      writeSidecars: (items, policy, triggerWord) =>
        call('results.writeSidecars', {
          items: [...items],
          policy,
          ...(triggerWord === undefined ? {} : { triggerWord })
        }),
      export: (format, rows) => call('results.export', { format, rows: [...rows] }),
      writeMetadata: (items, options) => call('results.writeMetadata', { ...options, items: [...items] })
    },
    library: {
      record: (items) => call('library.record', { items: items.map((item) => ({ ...item })) }),
      search: (query, limit) => call('library.search', limit === undefined ? { query } : { query, limit }),
      history: (imageId) => call('library.history', { imageId }),
      clear: () => call('library.clear', {})
    },
    watch: {
      start: (options) =>
        call(
          'watch.start',
          options?.writeCaptionFiles === undefined ? {} : { writeCaptionFiles: options.writeCaptionFiles }
        ),
      stop: () => call('watch.stop', {}),
      status: () => call('watch.status', {}),
      settled: (items) => call('watch.settled', { items: [...items] }),
      onStatus: (callback) => subscribe('watch-status', callback),
      onImages: (callback) => subscribe('watch-images', callback)
    }
  }
}
