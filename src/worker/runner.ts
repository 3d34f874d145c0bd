import type {
  ErrorInfo,
  JobEvent,
  ModelSpec,
  WorkerBatchMessage,
  WorkerDescribeMessage,
  WorkerModelStatus
} from '../shared/contract.ts'
import { cancelledBeforeStart, emptyWorkerModelStatus, toErrorInfo } from '../shared/contract.ts'
import type { BatchItem, DescribableModel, ModelLoader } from './model.ts'

/** Where one job's events go: its MessagePort (Electron) or the IPC channel tagged with its id (Node). */
export interface JobStream {
  post(event: JobEvent): void
  /** Called once, after the job's last event. */
  close(): void
}

export interface RunnerHooks {
  /** A status report: the answer to a request (requestId) or an announced change (null). */
  status(status: WorkerModelStatus, requestId: string | null): void
  /** The job's last event has been posted. */
  jobFinished(jobId: string): void
}

export interface RunnerOptions {
  readonly load: ModelLoader
  readonly hooks: RunnerHooks
  /** Resident memory in MB (process.memoryUsage().rss by default). */
  readonly memoryMb?: () => number
}

/** One image's job (alone, or one of a batch): its stream and its own cancel. */
interface QueuedJob {
  readonly jobId: string
  readonly stream: JobStream
  readonly controller: AbortController
}

/** A batch's jobs, in the order of its message; a job cancelled while queued leaves the list. */
interface QueuedBatch {
  readonly message: WorkerBatchMessage
  readonly jobs: { readonly job: QueuedJob; readonly image: string }[]
}

type Task =
  | { readonly kind: 'job'; readonly message: WorkerDescribeMessage; readonly job: QueuedJob }
  | { readonly kind: 'batch'; readonly batch: QueuedBatch }
  | { readonly kind: 'load'; readonly spec: ModelSpec; readonly requestId: string }
  | { readonly kind: 'unload'; readonly requestId: string }

const sameSpec = (a: ModelSpec, b: ModelSpec): boolean =>
  a.dir === b.dir && a.variant === b.variant && a.device === b.device && a.threads === b.threads

/**
 * The worker's one lane: jobs and model operations run one at a time, in arrival order. The model is loaded on
 * the first job (or on a load request) and kept warm; a job for another model folder or variant reloads it.
 * Transport-free: the utility-process and Node entries feed it messages and give it a JobStream per job.
 */
export class JobRunner {
  private readonly tasks: Task[] = []
  /** The jobs running now: one, or the unfinished ones of a batch. */
  private running: QueuedJob[] = []
  private pumping = false
  private model: { spec: ModelSpec; instance: DescribableModel } | null = null
  private state: WorkerModelStatus = emptyWorkerModelStatus()
  private readonly memoryMb: () => number

  constructor(private readonly options: RunnerOptions) {
    this.memoryMb = options.memoryMb ?? (() => process.memoryUsage().rss / 2 ** 20)
  }

  /** Queues a job; false (and nothing queued) when a job with that id is already running or queued. */
  submit(message: WorkerDescribeMessage, stream: JobStream): boolean {
    if (this.isKnown(message.jobId)) return false
    const job = { jobId: message.jobId, stream, controller: new AbortController() }
    this.tasks.push({ kind: 'job', message, job })
    this.announce()
    void this.pump()
    return true
  }

  /**
   * Queues a batch: its images are decoded together, each one a job of its own (streams[i] for message.jobs[i]).
   * False (and nothing queued) when one of its ids is already running or queued.
   */
  submitBatch(message: WorkerBatchMessage, streams: readonly JobStream[]): boolean {
    if (message.jobs.some((item) => this.isKnown(item.jobId))) return false
    const jobs = message.jobs.map((item, i) => ({
      job: { jobId: item.jobId, stream: streams[i]!, controller: new AbortController() },
      image: item.image
    }))
    this.tasks.push({ kind: 'batch', batch: { message, jobs } })
    this.announce()
    void this.pump()
    return true
  }

  isKnown(jobId: string): boolean {
    return (
      this.running.some((job) => job.jobId === jobId) || this.queuedJobs().some((job) => job.jobId === jobId)
    )
  }

  /**
   * Removes a queued job (it ends cancelled at once) or aborts a running one (it ends with done, cancelled). In a
   * batch only that image stops; the others go on.
   */
  cancel(jobId: string): boolean {
    const running = this.running.find((job) => job.jobId === jobId)
    if (running) {
      running.controller.abort()
      return true
    }
    for (const [index, task] of this.tasks.entries()) {
      if (task.kind === 'job' && task.job.jobId === jobId) {
        this.tasks.splice(index, 1)
        this.finish(task.job, cancelledBeforeStart())
        this.announce()
        return true
      }
      if (task.kind !== 'batch') continue
      const at = task.batch.jobs.findIndex((item) => item.job.jobId === jobId)
      if (at < 0) continue
      const [removed] = task.batch.jobs.splice(at, 1)
      if (task.batch.jobs.length === 0) this.tasks.splice(index, 1)
      this.finish(removed!.job, cancelledBeforeStart())
      this.announce()
      return true
    }
    return false
  }

  load(spec: ModelSpec, requestId: string): void {
    this.tasks.push({ kind: 'load', spec, requestId })
    void this.pump()
  }

  /** Frees the model now: the running job is aborted and queued jobs end cancelled, then the sessions are released. */
  unload(requestId: string): void {
    // Pending loads are superseded by the unload; their requests are answered with the status as it is.
    for (const task of this.tasks.splice(0)) {
      if (task.kind === 'load' || task.kind === 'unload')
        this.options.hooks.status(this.status(), task.requestId)
      else for (const job of jobsOf(task)) this.finish(job, cancelledBeforeStart())
    }
    for (const job of this.running) job.controller.abort()
    this.tasks.push({ kind: 'unload', requestId })
    void this.pump()
  }

  status(): WorkerModelStatus {
    return {
      ...this.state,
      memoryMb: Math.round(this.memoryMb() * 10) / 10,
      activeJobId: this.running[0]?.jobId ?? null,
      queuedJobs: this.queuedJobs().length
    }
  }

  reportStatus(requestId: string): void {
    this.options.hooks.status(this.status(), requestId)
  }

  /** Aborts everything and releases the model (process shutdown). */
  async dispose(): Promise<void> {
    for (const task of this.tasks.splice(0))
      for (const job of jobsOf(task)) this.finish(job, cancelledBeforeStart())
    for (const job of this.running) job.controller.abort()
    await this.model?.instance.dispose()
    this.model = null
  }

  private queuedJobs(): QueuedJob[] {
    return this.tasks.flatMap(jobsOf)
  }

  private announce(): void {
    this.options.hooks.status(this.status(), null)
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      for (let task = this.tasks.shift(); task; task = this.tasks.shift()) {
        if (task.kind === 'job') await this.run(task.message, task.job)
        else if (task.kind === 'batch') await this.runBatch(task.batch)
        else if (task.kind === 'load') {
          await this.ensureModel(task.spec).catch(() => undefined)
          this.options.hooks.status(this.status(), task.requestId)
        } else {
          await this.release('unloaded')
          this.options.hooks.status(this.status(), task.requestId)
        }
      }
    } finally {
      this.pumping = false
    }
  }

  private async release(state: 'unloaded' | 'none'): Promise<void> {
    const current = this.model
    this.model = null
    if (current) await current.instance.dispose().catch(() => undefined)
    this.state = {
      ...emptyWorkerModelStatus(),
      state: current || this.state.state !== 'none' ? state : 'none'
    }
    this.announce()
  }

  /** The loaded model for a spec, loading (or reloading) it first. Load failures become the status's error. */
  private async ensureModel(spec: ModelSpec): Promise<DescribableModel> {
    if (this.model && sameSpec(this.model.spec, spec)) return this.model.instance
    if (this.model) await this.release('none')
    this.state = {
      ...emptyWorkerModelStatus(),
      state: 'loading',
      modelId: spec.id,
      variant: spec.variant,
      device: spec.device
    }
    this.announce()
    try {
      const instance = await this.options.load(spec)
      this.model = { spec, instance }
      const info = instance.info
      this.state = {
        ...this.state,
        state: 'ready',
        provider: info.provider,
        sessions: info.sessions.map((s) => ({
          session: s.session,
          variant: s.variant,
          provider: s.provider,
          fallbacks: s.fallbacks.map((f) => ({ provider: f.provider, error: f.error.slice(0, 2000) }))
        })),
        loadMs: Math.round(info.loadMs),
        error: null,
        canBatch: instance.canBatch === true
      }
      this.announce()
      return instance
    } catch (error) {
      this.state = { ...this.state, state: 'error', error: toErrorInfo(error) }
      this.announce()
      throw error
    }
  }

  private async run(message: WorkerDescribeMessage, job: QueuedJob): Promise<void> {
    this.running = [job]
    this.announce()
    const { stream, controller } = job
    let last: JobEvent | null = null
    try {
      const model = await this.ensureModel(message.model)
      if (controller.signal.aborted) last = cancelledBeforeStart()
      else {
        for await (const event of model.describe(message.request, { signal: controller.signal })) {
          if (event.type === 'done') last = event
          else stream.post(event)
        }
        last ??= { type: 'error', error: { code: 'internal', message: 'The job ended without a result.' } }
      }
    } catch (error) {
      last =
        controller.signal.aborted && isCancelled(error)
          ? cancelledBeforeStart()
          : { type: 'error', error: jobError(error) }
    } finally {
      this.running = []
    }
    this.finish(job, last)
    this.announce()
  }

  /**
   * Runs a batch's images together. Each image ends (done or error, then job-finished) when its own sequence does,
   * not when the batch does, so its card completes at once; a failure of the whole run ends those still open.
   */
  private async runBatch(batch: QueuedBatch): Promise<void> {
    const jobs = batch.jobs.map((item) => item.job)
    this.running = [...jobs]
    this.announce()
    const open = new Set(jobs)
    const end = (job: QueuedJob, event: JobEvent): void => {
      if (!open.delete(job)) return
      this.running = this.running.filter((other) => other !== job)
      this.finish(job, event)
    }
    try {
      const model = await this.ensureModel(batch.message.model)
      const requests = batch.jobs.map((item) => ({ images: [item.image], ...batch.message.request }))
      const signals = jobs.map((job) => job.controller.signal)
      const items = model.describeBatch
        ? model.describeBatch(requests, { signals })
        : oneByOne(model, requests, signals)
      for await (const item of items) {
        const job = jobs[item.index]
        if (!job || !open.has(job)) continue
        if ('error' in item)
          end(
            job,
            job.controller.signal.aborted && item.error.code === 'cancelled'
              ? cancelledBeforeStart()
              : { type: 'error', error: jobError(item.error) }
          )
        else if (item.event.type === 'done') end(job, item.event)
        else job.stream.post(item.event)
      }
    } catch (error) {
      for (const job of [...open])
        end(
          job,
          job.controller.signal.aborted && isCancelled(error)
            ? cancelledBeforeStart()
            : { type: 'error', error: jobError(error) }
        )
    } finally {
      for (const job of [...open])
        end(job, { type: 'error', error: { code: 'internal', message: 'The job ended without a result.' } })
      this.running = []
    }
    this.announce()
  }

  private finish(job: QueuedJob, event: JobEvent): void {
    try {
      job.stream.post(event)
      job.stream.close()
    } finally {
      this.options.hooks.jobFinished(job.jobId)
    }
  }
}

function jobsOf(task: Task): QueuedJob[] {
  if (task.kind === 'job') return [task.job]
  if (task.kind === 'batch') return task.batch.jobs.map((item) => item.job)
  return []
}

/** A batch on a model without describeBatch: its requests one after another, as batch items. */
async function* oneByOne(
  model: DescribableModel,
  requests: readonly Parameters<DescribableModel['describe']>[0][],
  signals: readonly AbortSignal[]
): AsyncGenerator<BatchItem> {
  for (const [index, request] of requests.entries()) {
    try {
      for await (const event of model.describe(request, { signal: signals[index]! })) yield { index, event }
    } catch (error) {
      yield { index, error: toErrorInfo(error) }
    }
  }
}

function isCancelled(error: unknown): boolean {
  return toErrorInfo(error).code === 'cancelled'
}

function jobError(error: unknown): ErrorInfo {
  const info = toErrorInfo(error)
  // The engine's own "cancelled" never reaches a job as an error: a cancelled job ends with done.
  return info.code === 'cancelled' ? { code: 'internal', message: info.message } : info
}
