import type {
  ErrorInfo,
  JobEvent,
  ModelSpec,
  WorkerDescribeMessage,
  WorkerModelStatus
} from '../shared/contract.ts'
import { cancelledBeforeStart, emptyWorkerModelStatus, toErrorInfo } from '../shared/contract.ts'
import type { DescribableModel, ModelLoader } from './model.ts'

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

interface QueuedJob {
  readonly message: WorkerDescribeMessage
  readonly stream: JobStream
  readonly controller: AbortController
}

type Task =
  | { readonly kind: 'job'; readonly job: QueuedJob }
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
  private running: QueuedJob | null = null
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
    this.tasks.push({ kind: 'job', job: { message, stream, controller: new AbortController() } })
    this.announce()
    void this.pump()
    return true
  }

  isKnown(jobId: string): boolean {
    return (
      this.running?.message.jobId === jobId ||
      this.tasks.some((task) => task.kind === 'job' && task.job.message.jobId === jobId)
    )
  }

  /** Removes a queued job (it ends cancelled at once) or aborts the running one (it ends with done, cancelled). */
  cancel(jobId: string): boolean {
    if (this.running?.message.jobId === jobId) {
      this.running.controller.abort()
      return true
    }
    const index = this.tasks.findIndex((task) => task.kind === 'job' && task.job.message.jobId === jobId)
    if (index < 0) return false
    const [task] = this.tasks.splice(index, 1)
    if (task.kind === 'job') this.finish(task.job, cancelledBeforeStart())
    this.announce()
    return true
  }

  load(spec: ModelSpec, requestId: string): void {
    this.tasks.push({ kind: 'load', spec, requestId })
    void this.pump()
  }

  /** Frees the model now: the running job is aborted and queued jobs end cancelled, then the sessions are released. */
  unload(requestId: string): void {
    // Pending loads are superseded by the unload; their requests are answered with the status as it is.
    for (const task of this.tasks.splice(0)) {
      if (task.kind === 'job') this.finish(task.job, cancelledBeforeStart())
      else this.options.hooks.status(this.status(), task.requestId)
    }
    this.running?.controller.abort()
    this.tasks.push({ kind: 'unload', requestId })
    void this.pump()
  }

  status(): WorkerModelStatus {
    return {
      ...this.state,
      memoryMb: Math.round(this.memoryMb() * 10) / 10,
      activeJobId: this.running?.message.jobId ?? null,
      queuedJobs: this.tasks.filter((task) => task.kind === 'job').length
    }
  }

  reportStatus(requestId: string): void {
    this.options.hooks.status(this.status(), requestId)
  }

  /** Aborts everything and releases the model (process shutdown). */
  async dispose(): Promise<void> {
    for (const task of this.tasks.splice(0))
      if (task.kind === 'job') this.finish(task.job, cancelledBeforeStart())
    this.running?.controller.abort()
    await this.model?.instance.dispose()
    this.model = null
  }

  private announce(): void {
    this.options.hooks.status(this.status(), null)
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      for (let task = this.tasks.shift(); task; task = this.tasks.shift()) {
        if (task.kind === 'job') await this.run(task.job)
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
        error: null
      }
      this.announce()
      return instance
    } catch (error) {
      this.state = { ...this.state, state: 'error', error: toErrorInfo(error) }
      this.announce()
      throw error
    }
  }

  private async run(job: QueuedJob): Promise<void> {
    this.running = job
    this.announce()
    const { message, stream, controller } = job
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
      this.running = null
    }
    this.finish(job, last)
    this.announce()
  }

  private finish(job: QueuedJob, event: JobEvent): void {
    try {
      job.stream.post(event)
      job.stream.close()
    } finally {
      this.options.hooks.jobFinished(job.message.jobId)
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
