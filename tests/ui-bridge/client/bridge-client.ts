/**
 * `window.smolvlm` for the browser test bridge: the SmolvlmApi over HTTP (one POST per call) and Server-Sent
 * Events (job events, model status, store progress, settings, images added). Served by tests/ui-bridge/bridge.ts
 * as /__smolvlm/client.js (a classic script, injected before the page's own module script) and usable with
 * Playwright's page.addInitScript. bridge.ts bundles it with the shared API surface (src/shared/api-surface.ts),
 * the same mapping of methods to requests as the Electron preload uses.
 *
 * As in Electron, the page never names a path: dropped Files are uploaded as bytes and granted as temp files.
 */
import type { DescribeJob, SmolvlmApi, Unsubscribe } from '../../../src/shared/api.ts'
import { createApi } from '../../../src/shared/api-surface.ts'
import type { ApiTransport } from '../../../src/shared/api-surface.ts'
import type {
  ApiMethod,
  ApiResult,
  ApiResults,
  ErrorInfo,
  JobEvent,
  TerminalEvent
} from '../../../src/shared/contract.ts'

;(() => {
  if ((window as { smolvlm?: unknown }).smolvlm) return
  const base = '/__smolvlm'

  async function post<M extends ApiMethod>(method: M, payload: unknown): Promise<ApiResult<ApiResults[M]>> {
    const response = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload)
    })
    return (await response.json()) as ApiResult<ApiResults[M]>
  }

  async function call<M extends ApiMethod>(method: M, payload: unknown): Promise<ApiResults[M]> {
    const result = await post(method, payload)
    if (result.ok) return result.value
    throw Object.assign(new Error(result.error.message), { code: result.error.code })
  }

  async function upload(name: string, bytes: Blob | Uint8Array): Promise<ApiResults['images.fromBytes']> {
    const response = await fetch(`${base}/upload?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes instanceof Blob ? bytes : new Blob([bytes.slice()])
    })
    const result = (await response.json()) as ApiResult<ApiResults['images.fromBytes']>
    if (result.ok) return result.value
    throw Object.assign(new Error(result.error.message), { code: result.error.code })
  }

  // ── server-sent events ─────────────────────────────────────────────────────────────────────────────────────

  const listeners = new Map<string, Set<(payload: never) => void>>()
  const source = new EventSource(`${base}/events`)
  const connected = new Promise<void>((resolve) =>
    source.addEventListener('open', () => resolve(), { once: true })
  )
  for (const name of [
    'job-event',
    'model-status',
    'store-progress',
    'settings',
    'images-added',
    'watch-images',
    'watch-status'
  ]) {
    source.addEventListener(name, (message) => {
      const payload = JSON.parse((message as MessageEvent<string>).data) as never
      for (const callback of listeners.get(name) ?? []) {
        try {
          callback(payload)
        } catch (error) {
          console.error(error)
        }
      }
    })
  }

  function subscribe<T>(name: string, callback: (payload: T) => void): Unsubscribe {
    let set = listeners.get(name)
    if (!set) listeners.set(name, (set = new Set()))
    const entry = callback as (payload: never) => void
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  // ── jobs ───────────────────────────────────────────────────────────────────────────────────────────────────

  const jobs = new Map<
    string,
    { onEvent: (event: JobEvent) => void; settle: (event: TerminalEvent) => void }
  >()
  const isTerminal = (event: JobEvent): event is TerminalEvent =>
    event.type === 'done' || event.type === 'error'

  function deliver(jobId: string, event: JobEvent): void {
    const job = jobs.get(jobId)
    if (!job) return
    if (isTerminal(event)) jobs.delete(jobId)
    try {
      job.onEvent(event)
    } finally {
      if (isTerminal(event)) job.settle(event)
    }
  }
  subscribe<{ jobId: string; event: JobEvent }>('job-event', ({ jobId, event }) => deliver(jobId, event))

  let counter = 0
  function newJobId(): string {
    const bytes = crypto.getRandomValues(new Uint8Array(8))
    return `job-${++counter}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
  }

  function openJob(onEvent: (event: JobEvent) => void): DescribeJob {
    const jobId = newJobId()
    let settle: (event: TerminalEvent) => void = () => undefined
    const finished = new Promise<TerminalEvent>((resolve) => (settle = resolve))
    jobs.set(jobId, { onEvent, settle })
    return {
      jobId,
      cancel: () => {
        void post('cancel', { jobId }).catch(() => undefined)
      },
      finished
    }
  }

  function start(
    started: readonly DescribeJob[],
    method: 'describe' | 'describeBatch',
    payload: unknown
  ): void {
    const refuse = (error: ErrorInfo) => {
      for (const job of started) deliver(job.jobId, { type: 'error', error })
    }
    // Events are broadcast on the event stream: be connected before the job can produce any.
    void connected
      .then(() => post(method, payload))
      .then(
        (result) => {
          if (!result.ok) refuse(result.error)
        },
        (error: unknown) => refuse({ code: 'internal', message: String(error) })
      )
  }

  const describe: SmolvlmApi['describe'] = (request, onEvent) => {
    const job = openJob(onEvent)
    start([job], 'describe', { jobId: job.jobId, request })
    return job
  }

  const describeBatch: SmolvlmApi['describeBatch'] = ({ images, prompt, options }, onEvent) => {
    const started = images.map((_, index) => openJob((event) => onEvent(index, event)))
    start(started, 'describeBatch', {
      jobs: started.map((job, index) => ({ jobId: job.jobId, image: images[index] })),
      ...(prompt === undefined ? {} : { prompt }),
      ...(options === undefined ? {} : { options })
    })
    return started
  }

  const api: SmolvlmApi = createApi({
    call: call as ApiTransport['call'],
    subscribe: subscribe as ApiTransport['subscribe'],
    async addFiles(files) {
      const refs = []
      for (const file of files) refs.push(await upload(file.name || 'dropped image', file))
      return refs
    },
    fromBytes: (name, bytes) => upload(name, bytes),
    describe,
    describeBatch
  })

  Object.defineProperty(window, 'smolvlm', { value: Object.freeze(api), enumerable: true })
})()
