import type {
  ErrorInfo,
  JobEvent,
  ModelSpec,
  ModelStatus,
  WorkerBatchMessage,
  WorkerDescribeMessage,
  WorkerModelStatus,
  WorkerState
} from '../shared/contract.ts'
import {
  cancelledBeforeStart,
  describeIssues,
  emptyWorkerModelStatus,
  isTerminal,
  WorkerToMainSchema
} from '../shared/contract.ts'
import { Listeners } from './listeners.ts'
import type { RestartPolicyOptions } from './restart-policy.ts'
import { RestartPolicy } from './restart-policy.ts'
import type { WorkerExit, WorkerLauncher, WorkerProcess } from './worker-process.ts'

/**
 * Where one job's events end up. With per-job ports (Electron) the worker writes to `port` and the supervisor
 * only uses `emit` for events it makes itself (worker-crashed, cancelled before it was sent); without ports
 * (Node) every event of the job arrives here through `emit`.
 */
export interface JobChannel<Port = never> {
  readonly port?: Port
  emit(event: JobEvent): void
}

/** The message a job travels in: its own describe, or a describe-batch shared with the batch's other jobs. */
type Submission<Port> =
  | { readonly kind: 'describe'; readonly message: WorkerDescribeMessage }
  | { readonly kind: 'batch'; readonly message: WorkerBatchMessage; readonly jobs: TrackedJob<Port>[] }

interface TrackedJob<Port> {
  readonly jobId: string
  readonly submission: Submission<Port>
  readonly channel: JobChannel<Port>
  /** The worker process it was sent to (undefined while waiting for a worker). */
  sentTo: WorkerProcess<Port> | undefined
  ended: boolean
}

type PendingRequest =
  | { readonly kind: 'load'; readonly model: ModelSpec }
  | { readonly kind: 'unload' }
  | { readonly kind: 'status' }

export interface SupervisorOptions<Port> {
  readonly launcher: WorkerLauncher<Port>
  readonly restart?: Partial<RestartPolicyOptions>
  /** For tests: the clock the restart policy reads. */
  readonly now?: () => number
  /** How long a status request waits for the worker before answering from the last report. */
  readonly statusTimeoutMs?: number
  readonly log?: (line: string) => void
}

/**
 * Owns the worker process: starts it, sends it jobs once it is ready, restarts it with back-off when it dies,
 * and makes sure no job waits forever: a job the dead worker had ends with a worker-crashed error, a job sent
 * while no worker was up goes to the next one. Also the single source of the model status the UI shows.
 */
export class WorkerSupervisor<Port = never> {
  readonly onStatus = new Listeners<ModelStatus>()
  private readonly policy: RestartPolicy
  private readonly jobs = new Map<string, TrackedJob<Port>>()
  private readonly requests = new Map<
    string,
    { request: PendingRequest; resolve: (s: ModelStatus) => void; sent: boolean }
  >()
  private process: WorkerProcess<Port> | undefined
  private ready = false
  private startedAt = 0
  private state: WorkerState = 'stopped'
  private restarts = 0
  private lastExit: string | null = null
  private restartTimer: ReturnType<typeof setTimeout> | undefined
  private workerStatus: WorkerModelStatus = emptyWorkerModelStatus()
  private requestCounter = 0
  private stopping = false

  constructor(private readonly options: SupervisorOptions<Port>) {
    this.policy = new RestartPolicy(options.restart, options.now)
  }

  get pid(): number | undefined {
    return this.ready ? this.process?.pid : undefined
  }

  /** Starts the worker if it is not running (also after the supervisor gave up on a crash loop). */
  start(): void {
    this.stopping = false
    if (this.state === 'failed') this.policy.reset()
    if (this.process || this.restartTimer) return
    this.spawn()
  }

  hasJob(jobId: string): boolean {
    return this.jobs.has(jobId)
  }

  /** Queues a job; its events go to the channel. The caller guarantees a fresh job id. */
  submit(message: WorkerDescribeMessage, channel: JobChannel<Port>): void {
    if (this.jobs.has(message.jobId)) throw new Error(`job ${message.jobId} is already known`)
    const job: TrackedJob<Port> = {
      jobId: message.jobId,
      submission: { kind: 'describe', message },
      channel,
      sentTo: undefined,
      ended: false
    }
    this.jobs.set(message.jobId, job)
    this.start()
    if (this.ready) this.sendJob(job)
  }

  /**
   * Queues a batch: one job per image (channels[i] for message.jobs[i]), sent to the worker in one message.
   * Each job is tracked, cancelled and ended on its own, as if submitted alone; a worker that dies mid-batch
   * ends every job of it that was not over with the crash's error. The caller guarantees fresh job ids.
   */
  submitBatch(message: WorkerBatchMessage, channels: readonly JobChannel<Port>[]): void {
    const known = message.jobs.find((item) => this.jobs.has(item.jobId))
    if (known) throw new Error(`job ${known.jobId} is already known`)
    const jobs: TrackedJob<Port>[] = []
    const submission: Submission<Port> = { kind: 'batch', message, jobs }
    message.jobs.forEach((item, index) => {
      const job = {
        jobId: item.jobId,
        submission,
        channel: channels[index]!,
        sentTo: undefined,
        ended: false
      }
      jobs.push(job)
      this.jobs.set(item.jobId, job)
    })
    this.start()
    if (this.ready) this.sendJob(jobs[0]!)
  }

  /** Cancels a job wherever it is; false if it is unknown or already over. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId)
    if (!job || job.ended) return false
    if (job.sentTo && job.sentTo === this.process) job.sentTo.send({ type: 'cancel', jobId })
    else this.endJob(job, cancelledBeforeStart())
    return true
  }

  load(model: ModelSpec): Promise<ModelStatus> {
    return this.request({ kind: 'load', model })
  }

  unload(): Promise<ModelStatus> {
    // Nothing to free when no worker runs; do not start one just to unload.
    if (!this.process) return Promise.resolve(this.status())
    return this.request({ kind: 'unload' })
  }

  /** A fresh report from the worker (memory changes), or the last one if it does not answer in time. */
  async refreshStatus(): Promise<ModelStatus> {
    if (!this.ready) return this.status()
    const timeout = new Promise<ModelStatus>((resolve) => {
      const timer = setTimeout(() => resolve(this.status()), this.options.statusTimeoutMs ?? 2000)
      timer.unref?.()
    })
    return Promise.race([this.request({ kind: 'status' }), timeout])
  }

  status(): ModelStatus {
    return {
      ...this.workerStatus,
      worker: { state: this.state, pid: this.pid ?? null, restarts: this.restarts, lastExit: this.lastExit }
    }
  }

  /** Stops the worker for good (app quit); jobs still open end cancelled. */
  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.restartTimer)
    this.restartTimer = undefined
    const process = this.process
    for (const job of [...this.jobs.values()]) this.endJob(job, cancelledBeforeStart())
    if (!process) {
      this.setState('stopped')
      return
    }
    const exited = new Promise<void>((resolve) => process.onExit(() => resolve()))
    process.kill()
    await exited
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────────────

  private log(line: string): void {
    this.options.log?.(line)
  }

  private setState(state: WorkerState): void {
    this.state = state
    this.onStatus.emit(this.status())
  }

  private spawn(): void {
    this.restartTimer = undefined
    this.ready = false
    let process: WorkerProcess<Port>
    try {
      process = this.options.launcher.launch()
    } catch (error) {
      this.handleExit(undefined, { code: null, signal: null, reason: `launch-failed: ${String(error)}` })
      return
    }
    this.process = process
    this.startedAt = (this.options.now ?? Date.now)()
    this.setState(this.restarts > 0 ? 'restarting' : 'starting')
    process.onMessage((data) => this.handleMessage(process, data))
    process.onExit((exit) => this.handleExit(process, exit))
  }

  private handleMessage(process: WorkerProcess<Port>, data: unknown): void {
    if (process !== this.process) return
    const parsed = WorkerToMainSchema.safeParse(data)
    if (!parsed.success) {
      this.log(
        `ignored a malformed message from the worker: ${describeIssues(parsed.error, 'worker message')}`
      )
      return
    }
    const message = parsed.data
    switch (message.type) {
      case 'ready':
        this.ready = true
        this.setState('running')
        for (const job of this.jobs.values()) if (!job.sentTo && !job.ended) this.sendJob(job)
        for (const [requestId, pending] of this.requests)
          if (!pending.sent) this.sendRequest(requestId, pending)
        return
      case 'status': {
        this.workerStatus = message.status
        const pending = message.requestId ? this.requests.get(message.requestId) : undefined
        if (message.requestId && pending) this.requests.delete(message.requestId)
        const status = this.status()
        this.onStatus.emit(status)
        pending?.resolve(status)
        return
      }
      case 'job-event': {
        const job = this.jobs.get(message.jobId)
        if (!job || job.ended || job.sentTo !== process) return
        job.channel.emit(message.event)
        if (isTerminal(message.event)) job.ended = true
        return
      }
      case 'job-finished': {
        const job = this.jobs.get(message.jobId)
        if (job?.sentTo === process) {
          this.jobs.delete(message.jobId)
          job.ended = true
          this.policy.onHealthy()
        }
        return
      }
      case 'protocol-error':
        this.log(`the worker rejected a message: ${message.error.message}`)
        return
    }
  }

  private handleExit(process: WorkerProcess<Port> | undefined, exit: WorkerExit): void {
    if (process && process !== this.process) return
    this.process = undefined
    this.ready = false
    const uptime = (this.options.now ?? Date.now)() - this.startedAt
    if (this.stopping) {
      this.workerStatus = emptyWorkerModelStatus()
      this.settleRequests()
      this.setState('stopped')
      return
    }
    const oom = exit.reason === 'oom'
    const what = oom
      ? 'ran out of memory'
      : exit.signal
        ? `was killed (${exit.signal})`
        : `stopped (${exit.reason}, exit code ${exit.code ?? 'none'})`
    this.lastExit = exit.signal
      ? `${exit.reason} (${exit.signal})`
      : `${exit.reason} (code ${exit.code ?? 'none'})`
    const error: ErrorInfo = {
      code: 'worker-crashed',
      message: oom
        ? 'The model worker ran out of memory. Try a smaller model or precision, or fast mode.'
        : `The model worker ${what}. It is being restarted.`
    }
    this.log(`worker ${what}`)
    // Jobs the dead worker held cannot finish; those never sent wait for the next worker.
    for (const job of [...this.jobs.values()]) if (job.sentTo) this.endJob(job, { type: 'error', error })
    for (const pending of this.requests.values()) pending.sent = false
    this.workerStatus = { ...emptyWorkerModelStatus(), state: 'error', error }
    const decision = this.policy.onCrash(uptime)
    if (decision.restart) {
      this.restarts += 1
      this.setState('restarting')
      this.restartTimer = setTimeout(() => this.spawn(), decision.delayMs)
      return
    }
    const gaveUp: ErrorInfo = {
      code: 'worker-crashed',
      message: `The model worker crashed ${decision.crashes} times in a row and was not restarted. Last: it ${what}.`
    }
    this.workerStatus = { ...this.workerStatus, error: gaveUp }
    for (const job of [...this.jobs.values()]) this.endJob(job, { type: 'error', error: gaveUp })
    this.settleRequests()
    this.setState('failed')
  }

  private settleRequests(): void {
    const status = this.status()
    for (const pending of this.requests.values()) pending.resolve(status)
    this.requests.clear()
  }

  /** Sends the job's message; for a batch, with those of its jobs not cancelled while they waited. */
  private sendJob(job: TrackedJob<Port>): void {
    const process = this.process
    if (!process) return
    const { submission } = job
    if (submission.kind === 'describe') {
      job.sentTo = process
      process.send(submission.message, job.channel.port === undefined ? undefined : [job.channel.port])
      return
    }
    const live = submission.jobs.filter((other) => !other.ended && !other.sentTo)
    if (live.length === 0) return
    for (const other of live) other.sentTo = process
    const ids = new Set(live.map((other) => other.jobId))
    const ports = live.flatMap((other) => (other.channel.port === undefined ? [] : [other.channel.port]))
    process.send(
      { ...submission.message, jobs: submission.message.jobs.filter((item) => ids.has(item.jobId)) },
      ports.length === live.length ? ports : undefined
    )
  }

  private endJob(job: TrackedJob<Port>, event: JobEvent): void {
    this.jobs.delete(job.jobId)
    if (job.ended) return
    job.ended = true
    job.channel.emit(event)
  }

  private request(request: PendingRequest): Promise<ModelStatus> {
    const requestId = `r${++this.requestCounter}`
    return new Promise<ModelStatus>((resolve) => {
      const pending = { request, resolve, sent: false }
      this.requests.set(requestId, pending)
      this.start()
      if (this.ready) this.sendRequest(requestId, pending)
      else if (this.state === 'failed') this.settleRequests()
    })
  }

  private sendRequest(requestId: string, pending: { request: PendingRequest; sent: boolean }): void {
    const process = this.process
    if (!process) return
    pending.sent = true
    const { request } = pending
    if (request.kind === 'load') process.send({ type: 'load', requestId, model: request.model })
    else process.send({ type: request.kind, requestId })
  }
}
