/**
 * The queue's side effects around the pure reducer: it starts the next caption job (or group of up to the batch
 * size, decoded together by the worker, each image still its own job) whenever the worker is free,
 * routes each job's events back into the state, cancels, and runs follow-up questions. React reads it as an
 * external store (useSyncExternalStore), so no effect can start a job twice (StrictMode mounts effects twice).
 *
 * Token events are frequent (hundreds a second with a small model): listeners hear about them at most once a
 * frame; everything else is announced at once.
 */
import type { DescribeJob, ImageRef, JobEvent, SmolvlmApi } from '../../../shared/api.ts'
import { DEFAULT_PROMPT } from '../../../shared/settings.ts'
import { followUpMessages } from './follow-up.ts'
import type { QueueAction, QueueState } from './queue.ts'
import { EMPTY_QUEUE, nextGroup, reduceQueue, undescribedIds } from './queue.ts'

/** describeBatch is optional: without it every image runs alone. */
export type DescribeApi = Pick<SmolvlmApi, 'describe'> & Partial<Pick<SmolvlmApi, 'describeBatch'>>

export interface QueueControllerOptions {
  readonly clock?: () => number
  /** Runs a callback before the next paint (requestAnimationFrame); tests pass an immediate one. */
  readonly nextFrame?: (callback: () => void) => void
  /** A caption finished (not stopped, not empty): the app keeps it in the caption library. */
  readonly onCaption?: (caption: { imageId: string; prompt: string; text: string }) => void
  /**
   * A caption job ended without a caption: `failed` when the image itself cannot be described (bad-image,
   * image-too-large), not when it was stopped or the model failed. The app tells its folder watch.
   */
  readonly onSettled?: (settled: { imageId: string; failed: boolean }) => void
  /** Images sent to the worker together at most (the batch size setting; 1 to start). */
  readonly batchSize?: number
}

const isTerminal = (event: JobEvent): boolean => event.type === 'done' || event.type === 'error'

/** Errors that belong to the image itself: describing it again the same way would fail again. */
const IMAGE_FAULTS: ReadonlySet<string> = new Set(['bad-image', 'image-too-large'])

export class QueueController {
  private state: QueueState = EMPTY_QUEUE
  private readonly listeners = new Set<() => void>()
  /** Running jobs by job id. */
  private readonly jobs = new Map<string, DescribeJob>()
  private frameRequested = false
  private followUpCounter = 0
  private localJobs = 0
  private batchSize: number
  private readonly clock: () => number
  private readonly nextFrame: (callback: () => void) => void
  private readonly onCaption: QueueControllerOptions['onCaption']
  private readonly onSettled: QueueControllerOptions['onSettled']

  constructor(
    private readonly api: DescribeApi,
    options: QueueControllerOptions = {}
  ) {
    this.clock = options.clock ?? (() => Date.now())
    this.onCaption = options.onCaption
    this.onSettled = options.onSettled
    this.batchSize = options.batchSize ?? 1
    this.nextFrame =
      options.nextFrame ??
      ((callback) => {
        if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => callback())
        else setTimeout(callback, 16)
      })
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  readonly getState = (): QueueState => this.state

  // ── commands ──────────────────────────────────────────────────────────────────────────────────────────────

  /** New images; with a prompt they are queued straight away. Returns the ids that were new. */
  add(images: readonly ImageRef[], prompt: string | null): string[] {
    const fresh = images.filter((image) => !this.state.items[image.id]).map((image) => image.id)
    this.dispatch({ type: 'add', images, prompt, at: this.clock() })
    return fresh
  }

  /** Puts an image on the list with a caption kept in the library, as done (to save it again). */
  addKept(image: ImageRef, text: string, prompt: string): void {
    this.dispatch({ type: 'add-kept', image, text, prompt })
  }

  /** Queues images for a (new) caption. One image asked for by itself goes first and runs even while paused. */
  describe(ids: readonly string[], prompt: string, options: { priority?: boolean } = {}): void {
    this.dispatch({
      type: 'enqueue',
      ids,
      prompt,
      priority: options.priority ?? false,
      at: this.clock()
    })
  }

  /** Queues every image without a finished caption, or (again: true) every image. Returns how many. */
  describeAll(prompt: string, options: { again?: boolean } = {}): number {
    const ids = options.again
      ? this.state.order.filter((id) => {
          const status = this.state.items[id]!.status
          return status !== 'queued' && status !== 'describing'
        })
      : undescribedIds(this.state)
    if (ids.length === 0) return 0
    // Running again resumes a paused queue: the user just asked for work to happen.
    if (this.state.paused) this.resume()
    this.describe(ids, prompt)
    return ids.length
  }

  /** Stops one image: cancels its running job, or takes it off the queue. */
  stop(id: string): void {
    const item = this.state.items[id]
    if (!item) return
    if (item.status === 'queued') this.dispatch({ type: 'unqueue', ids: [id], at: this.clock() })
    else if (item.status === 'describing' && item.jobId) this.jobs.get(item.jobId)?.cancel()
  }

  /**
   * Stops whatever captions are being written now: the running image, or every image of the running group (the
   * batch goes on with the next images unless paused).
   */
  stopCurrent(): boolean {
    const running = this.state.running
    if (running.length === 0) return false
    for (const id of running) this.stop(id)
    return true
  }

  /** How many images the next jobs may take together (the batch size setting); running ones are not touched. */
  setBatchSize(size: number): void {
    const next = Math.max(1, Math.floor(size))
    if (next === this.batchSize) return
    this.batchSize = next
    this.pump()
  }

  /** Ends the batch: the queue is emptied and the running job stopped. */
  cancelAll(): void {
    const queued = [...this.state.priority, ...this.state.pending]
    if (queued.length > 0) this.dispatch({ type: 'unqueue', ids: queued, at: this.clock() })
    this.stopCurrent()
  }

  pause(): void {
    this.dispatch({ type: 'pause', at: this.clock() })
  }

  resume(): void {
    this.dispatch({ type: 'resume', at: this.clock() })
  }

  togglePause(): void {
    if (this.state.paused) this.resume()
    else this.pause()
  }

  /** Removes cards (their running jobs are cancelled). */
  remove(ids: readonly string[]): void {
    for (const id of ids) {
      const item = this.state.items[id]
      if (!item) continue
      if (item.jobId) this.jobs.get(item.jobId)?.cancel()
      for (const f of item.followUps) if (f.jobId) this.jobs.get(f.jobId)?.cancel()
    }
    this.dispatch({ type: 'remove', ids, at: this.clock() })
  }

  select(id: string | null): void {
    this.dispatch({ type: 'select', id })
  }

  moveSelection(by: number): void {
    this.dispatch({ type: 'move-selection', by })
  }

  selectEdge(edge: 'first' | 'last'): void {
    this.dispatch({ type: 'select-edge', edge })
  }

  /** Asks a follow-up question about one image (a short chat that reuses the image). */
  ask(id: string, question: string): void {
    const item = this.state.items[id]
    const trimmed = question.trim()
    if (!item || trimmed === '') return
    const messages = followUpMessages(item, trimmed, DEFAULT_PROMPT)
    const followUpId = `f${++this.followUpCounter}`
    this.dispatch({ type: 'ask', id, followUpId, question: trimmed })
    const job = this.launch({ images: [id], messages }, (jobId, event) =>
      this.dispatch({ type: 'follow-up-event', id, followUpId, jobId, event })
    )
    this.dispatch({ type: 'follow-up-start', id, followUpId, jobId: job.jobId })
    job.release()
  }

  /** Stops the follow-up being answered for an image. */
  stopFollowUp(id: string): void {
    const item = this.state.items[id]
    for (const f of item?.followUps ?? [])
      if (f.status === 'answering' && f.jobId) this.jobs.get(f.jobId)?.cancel()
  }

  /** Cancels every job (the window is going away). */
  dispose(): void {
    for (const job of this.jobs.values()) job.cancel()
    this.jobs.clear()
    this.listeners.clear()
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────

  private dispatch(action: QueueAction): void {
    const before = this.state
    this.state = reduceQueue(before, action)
    if (this.state !== before) {
      const frequent =
        (action.type === 'job-event' || action.type === 'follow-up-event') && action.event.type === 'token'
      if (frequent) this.notifySoon()
      else this.notify()
    }
    this.pump()
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  private notifySoon(): void {
    if (this.frameRequested) return
    this.frameRequested = true
    this.nextFrame(() => {
      this.frameRequested = false
      this.notify()
    })
  }

  /** Starts the next caption job, or group of images with one prompt decoded together, when none is running. */
  private pump(): void {
    const ids = nextGroup(this.state, this.api.describeBatch ? this.batchSize : 1)
    if (ids.length === 0) return
    const prompt = this.state.items[ids[0]!]!.queuedPrompt ?? DEFAULT_PROMPT
    // Follow-ups of these images are about the captions being replaced: stop them.
    for (const id of ids)
      for (const f of this.state.items[id]!.followUps)
        if (f.status === 'answering' && f.jobId) this.jobs.get(f.jobId)?.cancel()
    const onEvent = (id: string, jobId: string, event: JobEvent): void => {
      this.dispatch({ type: 'job-event', id, jobId, event, at: this.clock() })
      if (event.type === 'done' && !event.cancelled && event.text.trim() !== '')
        this.onCaption?.({ imageId: id, prompt, text: event.text })
      else if (isTerminal(event))
        this.onSettled?.({
          imageId: id,
          failed: event.type === 'error' && IMAGE_FAULTS.has(event.error.code)
        })
    }
    if (ids.length === 1) {
      const id = ids[0]!
      const job = this.launch({ images: [id], prompt }, (jobId, event) => onEvent(id, jobId, event))
      this.dispatch({ type: 'start', id, jobId: job.jobId, at: this.clock() })
      job.release()
      return
    }
    const group = this.launchGroup(ids, prompt, (index, jobId, event) => onEvent(ids[index]!, jobId, event))
    this.dispatch({
      type: 'start-group',
      jobs: ids.map((id, index) => ({ id, jobId: group.jobIds[index]! })),
      at: this.clock()
    })
    group.release()
  }

  /**
   * Starts one job per image, decoded together (describeBatch), and routes each one's events like launch() does,
   * with the image's index.
   */
  private launchGroup(
    ids: readonly string[],
    prompt: string,
    onEvent: (index: number, jobId: string, event: JobEvent) => void
  ): { jobIds: string[]; release(): void } {
    let released = false
    let jobIds: string[] = []
    const early: [number, JobEvent][] = []
    const route = (index: number, event: JobEvent): void => {
      if (!released) {
        early.push([index, event])
        return
      }
      if (isTerminal(event)) this.jobs.delete(jobIds[index]!)
      onEvent(index, jobIds[index]!, event)
    }
    try {
      const jobs = this.api.describeBatch!({ images: ids, prompt }, route)
      jobIds = jobs.map((job) => job.jobId)
      for (const job of jobs) this.jobs.set(job.jobId, job)
    } catch (error) {
      // The API refused at once: end every job as the host would, with its sentence.
      const message = error instanceof Error ? error.message : String(error)
      jobIds = ids.map(() => `refused-${++this.localJobs}`)
      early.push(
        ...ids.map((_, index): [number, JobEvent] => [
          index,
          { type: 'error', error: { code: 'internal', message } }
        ])
      )
    }
    return {
      jobIds,
      release: () => {
        released = true
        for (const [index, event] of early.splice(0)) route(index, event)
      }
    }
  }

  /**
   * Starts a job and routes its events, in order, to `onEvent` with its id. Events are held until `release()`,
   * so the caller can record the job in the state before any of its events arrive.
   */
  private launch(
    request: Parameters<SmolvlmApi['describe']>[0],
    onEvent: (jobId: string, event: JobEvent) => void
  ): { jobId: string; release(): void } {
    let released = false
    let jobId = ''
    const early: JobEvent[] = []
    const route = (event: JobEvent): void => {
      if (!released) {
        early.push(event)
        return
      }
      if (isTerminal(event)) this.jobs.delete(jobId)
      onEvent(jobId, event)
    }
    try {
      const job = this.api.describe(request, route)
      jobId = job.jobId
      this.jobs.set(jobId, job)
    } catch (error) {
      // The API refused at once: end the job as the host would, with its sentence.
      jobId = `refused-${++this.localJobs}`
      early.push({
        type: 'error',
        error: { code: 'internal', message: error instanceof Error ? error.message : String(error) }
      })
    }
    return {
      jobId,
      release: () => {
        released = true
        for (const event of early.splice(0)) route(event)
      }
    }
  }
}
