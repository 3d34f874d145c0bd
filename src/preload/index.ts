/**
 * The preload: the only code in the renderer process that can talk to the main process. It exposes
 * `window.smolvlm` (the SmolvlmApi of src/shared/api.ts) through contextBridge: narrow functions, no raw
 * ipcRenderer, listeners wrapped so the page never sees an IpcRendererEvent (Electron security checklist §20).
 * Job events arrive on a per-job MessagePort straight from the worker; they are validated here before the
 * page's callback sees them.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import type { IpcRendererEvent } from 'electron'
import type { DescribeJob, SmolvlmApi, Unsubscribe } from '../shared/api.ts'
import { createApi } from '../shared/api-surface.ts'
import type {
  ApiMethod,
  ApiPayload,
  ApiResult,
  ApiResults,
  ErrorInfo,
  JobEvent,
  PushEvent,
  PushPayload,
  TerminalEvent
} from '../shared/contract.ts'
import {
  invokeChannel,
  isTerminal,
  JOB_PORT_CHANNEL,
  JobEventSchema,
  JobPortMessageSchema,
  LIMITS,
  PUSH_EVENTS,
  pushChannel
} from '../shared/contract.ts'
import { holdUntilSubscribed } from '../shared/held-events.ts'

function invoke<M extends ApiMethod>(method: M, payload: ApiPayload<M>): Promise<ApiResult<ApiResults[M]>> {
  return ipcRenderer.invoke(invokeChannel(method), payload) as Promise<ApiResult<ApiResults[M]>>
}

/** Unwraps the envelope; errors cross contextBridge as their message only, so the message is the human sentence. */
async function call<M extends ApiMethod>(method: M, payload: ApiPayload<M>): Promise<ApiResults[M]> {
  const result = await invoke(method, payload)
  if (result?.ok) return result.value
  throw new Error(result?.error?.message ?? 'The app did not answer.')
}

function subscribe<E extends PushEvent>(event: E, callback: (payload: PushPayload<E>) => void): Unsubscribe {
  const channel = pushChannel(event)
  const listener = (_event: IpcRendererEvent, payload: unknown): void => {
    const parsed = PUSH_EVENTS[event].safeParse(payload)
    if (parsed.success) callback(parsed.data as PushPayload<E>)
  }
  ipcRenderer.on(channel, listener)
  return () => {
    ipcRenderer.removeListener(channel, listener)
  }
}

// ── jobs ─────────────────────────────────────────────────────────────────────────────────────────────────────

interface OpenJob {
  readonly onEvent: (event: JobEvent) => void
  readonly settle: (event: TerminalEvent) => void
  port: IpcRendererEvent['ports'][number] | undefined
}

const jobs = new Map<string, OpenJob>()

function deliver(jobId: string, raw: unknown): void {
  const job = jobs.get(jobId)
  if (!job) return
  const parsed = JobEventSchema.safeParse(raw)
  const event: JobEvent = parsed.success
    ? parsed.data
    : {
        type: 'error',
        error: { code: 'invalid-message', message: 'The worker sent an event that is not in the contract.' }
      }
  if (isTerminal(event)) {
    jobs.delete(jobId)
    job.port?.close()
  }
  try {
    job.onEvent(event)
  } finally {
    if (isTerminal(event)) job.settle(event)
  }
}

ipcRenderer.on(JOB_PORT_CHANNEL, (event: IpcRendererEvent, message: unknown) => {
  const port = event.ports[0]
  const parsed = JobPortMessageSchema.safeParse(message)
  const job = parsed.success ? jobs.get(parsed.data.jobId) : undefined
  if (!port) return
  if (!parsed.success || !job) {
    port.close()
    return
  }
  job.port = port
  const jobId = parsed.data.jobId
  port.onmessage = (e: MessageEvent) => deliver(jobId, e.data)
})

// Events the port could not carry: a crashed worker, a job ended before it reached the worker.
subscribe('job-event', ({ jobId, event }) => deliver(jobId, event))

function newJobId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `job-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

/** Registers a job that the host will be asked to start; its events reach onEvent once they arrive. */
function openJob(onEvent: (event: JobEvent) => void): DescribeJob {
  const jobId = newJobId()
  let settle: (event: TerminalEvent) => void = () => undefined
  const finished = new Promise<TerminalEvent>((resolve) => (settle = resolve))
  jobs.set(jobId, { onEvent, settle, port: undefined })
  return {
    jobId,
    cancel: () => {
      void invoke('cancel', { jobId }).catch(() => undefined)
    },
    finished
  }
}

/** Asks the host to start jobs; a refusal ends each of them with the host's error. */
function start<M extends 'describe' | 'describeBatch'>(
  started: readonly DescribeJob[],
  method: M,
  payload: ApiPayload<M>
): void {
  const refuse = (error: ErrorInfo): void => {
    for (const job of started) deliver(job.jobId, { type: 'error', error })
  }
  invoke(method, payload).then(
    (result) => {
      if (!result?.ok) refuse(result?.error ?? { code: 'internal', message: 'The app did not answer.' })
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
    jobs: started.map((job, index) => ({ jobId: job.jobId, image: images[index]! })),
    ...(prompt === undefined ? {} : { prompt }),
    ...(options === undefined ? {} : { options })
  })
  return started
}

// ── images ───────────────────────────────────────────────────────────────────────────────────────────────────

async function addFiles(files: readonly File[]): Promise<Awaited<ReturnType<SmolvlmApi['images']['add']>>> {
  const paths: string[] = []
  const withoutPath: File[] = []
  for (const file of files) {
    // '' for a File the page built itself: it has no path, so it is sent as bytes like a paste.
    const path = webUtils.getPathForFile(file)
    if (path) paths.push(path)
    else withoutPath.push(file)
  }
  const refs = paths.length > 0 ? await call('images.addPaths', { paths }) : []
  for (const file of withoutPath) {
    refs.push(
      await call('images.fromBytes', {
        name: file.name || 'pasted image',
        bytes: new Uint8Array(await file.arrayBuffer())
      })
    )
  }
  return refs
}

// Images the app was asked to open ("Open with", a second launch) are sent once the page has loaded, which can be
// before the page's image list subscribes: they wait here for the first subscriber instead of being dropped.
const openedImages = holdUntilSubscribed<PushPayload<'images-added'>>()
ipcRenderer.on(pushChannel('images-added'), (_event: IpcRendererEvent, payload: unknown) => {
  const parsed = PUSH_EVENTS['images-added'].safeParse(payload)
  if (parsed.success) openedImages.push(parsed.data)
})

// A watched folder kept from the last run is watched again as the app starts: its images wait here the same way.
const watchedImages = holdUntilSubscribed<PushPayload<'watch-images'>>(LIMITS.imagesPerFolder)
ipcRenderer.on(pushChannel('watch-images'), (_event: IpcRendererEvent, payload: unknown) => {
  const parsed = PUSH_EVENTS['watch-images'].safeParse(payload)
  if (parsed.success) watchedImages.push(parsed.data)
})

function subscribeHeld<E extends PushEvent>(
  event: E,
  callback: (payload: PushPayload<E>) => void
): Unsubscribe {
  if (event === 'watch-images')
    return watchedImages.subscribe(callback as (payload: PushPayload<'watch-images'>) => void)
  if (event !== 'images-added') return subscribe(event, callback)
  return openedImages.subscribe(callback as (payload: PushPayload<'images-added'>) => void)
}

const api: SmolvlmApi = createApi({
  call,
  subscribe: subscribeHeld,
  addFiles,
  fromBytes: (name, bytes) => call('images.fromBytes', { name, bytes: new Uint8Array(bytes) }),
  describe,
  describeBatch
})

contextBridge.exposeInMainWorld('smolvlm', api)
