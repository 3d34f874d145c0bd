/**
 * The image queue as pure data: every card's state, the order jobs run in, the batch's progress and the
 * selection. `reduceQueue` is a pure function of (state, action); timestamps come in with the actions, so every
 * transition can be tested without a clock, a browser or a model. Side effects (starting and cancelling jobs)
 * live in queue-controller.ts.
 */
import type { ImageRef, JobEvent } from '../../../shared/api.ts'
import type { ErrorInfo } from '../../../shared/errors.ts'
import type { DescribeStats } from '../../../shared/jobs.ts'

/** idle: never asked for (or taken off the queue before it ran); stopped: the user stopped it part-way. */
export type ItemStatus = 'idle' | 'queued' | 'describing' | 'done' | 'stopped' | 'error'

/** The last thing a running job reported: waiting (not started yet), then the engine's stages in order. */
export type Stage = 'waiting' | 'started' | 'preprocess' | 'vision' | 'prefill' | 'generating'

export interface FollowUp {
  readonly id: string
  readonly question: string
  readonly answer: string
  readonly status: 'answering' | 'done' | 'stopped' | 'error'
  readonly error: ErrorInfo | null
  readonly jobId: string | null
}

export interface QueueItem {
  readonly image: ImageRef
  readonly status: ItemStatus
  /** The caption as the model wrote it (streamed text while describing); trimmed only for display. */
  readonly text: string
  /** The prompt the shown caption answers (null before the first run). */
  readonly prompt: string | null
  /** The prompt to use when the queued job starts (captured when it was queued). */
  readonly queuedPrompt: string | null
  /** What the item was before it was queued, so taking it off the queue restores it. */
  readonly queuedFrom: ItemStatus | null
  readonly jobId: string | null
  readonly stage: Stage | null
  readonly error: ErrorInfo | null
  readonly stats: DescribeStats | null
  /** Set when the caption comes from a RAW file's embedded JPEG preview: the size described. */
  readonly preview?: { readonly width: number; readonly height: number }
  readonly followUps: readonly FollowUp[]
}

/** One run over the queue: from the first queued image until the queue is empty again. */
export interface Batch {
  /** Images this batch has taken on. */
  readonly total: number
  /** Of them, those that ended (done, stopped or failed). */
  readonly finished: number
  readonly failed: number
  readonly stopped: number
  readonly startedAt: number
  /** Running time (not paused) up to resumedAt. */
  readonly activeMs: number
  /** Start of the current running stretch; null while paused or after the end. */
  readonly resumedAt: number | null
  readonly endedAt: number | null
}

export interface QueueState {
  /** Display order of the cards. */
  readonly order: readonly string[]
  readonly items: Readonly<Record<string, QueueItem>>
  /** The batch queue, first to run first. */
  readonly pending: readonly string[]
  /** Images asked for one at a time (regenerate, describe this one): they go first and run even while paused. */
  readonly priority: readonly string[]
  /**
   * The images whose caption jobs are running: one, or a group decoded together (the batch size setting). The
   * next job or group starts when all of them have ended.
   */
  readonly running: readonly string[]
  readonly paused: boolean
  readonly batch: Batch | null
  readonly selectedId: string | null
  /** Figures of the last finished caption (the status bar's tokens/s). */
  readonly lastStats: DescribeStats | null
}

export type QueueAction =
  /** New images; with a prompt they are queued at once (the usual drop-and-go), with null they wait. */
  | { type: 'add'; images: readonly ImageRef[]; prompt: string | null; at: number }
  | { type: 'enqueue'; ids: readonly string[]; prompt: string; priority: boolean; at: number }
  /** An image with a caption kept in the library (a search result): on the list as done, ready to save again. */
  | { type: 'add-kept'; image: ImageRef; text: string; prompt: string }
  | { type: 'start'; id: string; jobId: string; at: number }
  /** Several queued images started together (decoded as one group: the batch size setting), each its own job. */
  | { type: 'start-group'; jobs: readonly { id: string; jobId: string }[]; at: number }
  | { type: 'job-event'; id: string; jobId: string; event: JobEvent; at: number }
  /** Takes queued images off the queue (stop on a queued card, cancel the batch). */
  | { type: 'unqueue'; ids: readonly string[]; at: number }
  | { type: 'pause'; at: number }
  | { type: 'resume'; at: number }
  | { type: 'remove'; ids: readonly string[]; at: number }
  | { type: 'select'; id: string | null }
  | { type: 'move-selection'; by: number }
  | { type: 'select-edge'; edge: 'first' | 'last' }
  | { type: 'ask'; id: string; followUpId: string; question: string }
  | { type: 'follow-up-start'; id: string; followUpId: string; jobId: string }
  | { type: 'follow-up-event'; id: string; followUpId: string; jobId: string; event: JobEvent }

export const EMPTY_QUEUE: QueueState = {
  order: [],
  items: {},
  pending: [],
  priority: [],
  running: [],
  paused: false,
  batch: null,
  selectedId: null,
  lastStats: null
}

export function newItem(image: ImageRef): QueueItem {
  return {
    image,
    status: 'idle',
    text: '',
    prompt: null,
    queuedPrompt: null,
    queuedFrom: null,
    jobId: null,
    stage: null,
    error: null,
    stats: null,
    followUps: []
  }
}

/** Statuses that have a result to keep (re-running them is "again", not "new"). */
export function hasCaption(item: QueueItem): boolean {
  return item.status === 'done' && item.text.trim() !== ''
}

function isActiveBatch(batch: Batch | null): batch is Batch {
  return batch !== null && batch.endedAt === null
}

function withItem(state: QueueState, id: string, change: (item: QueueItem) => QueueItem): QueueState {
  const item = state.items[id]
  if (!item) return state
  const next = change(item)
  return next === item ? state : { ...state, items: { ...state.items, [id]: next } }
}

/** Adds `count` images to the batch, opening a new batch when none is running. */
function growBatch(state: QueueState, count: number, at: number): Batch | null {
  if (count === 0) return state.batch
  if (isActiveBatch(state.batch)) return { ...state.batch, total: state.batch.total + count }
  return {
    total: count,
    finished: 0,
    failed: 0,
    stopped: 0,
    startedAt: at,
    activeMs: 0,
    resumedAt: state.paused ? null : at,
    endedAt: null
  }
}

/** Ends the batch when nothing is queued or running any more. */
function settleBatch(state: QueueState, at: number): QueueState {
  const batch = state.batch
  if (!isActiveBatch(batch)) return state
  if (state.running.length > 0 || state.pending.length > 0 || state.priority.length > 0) return state
  if (batch.total === 0) return { ...state, batch: null }
  const activeMs = batch.activeMs + (batch.resumedAt === null ? 0 : Math.max(0, at - batch.resumedAt))
  return { ...state, batch: { ...batch, activeMs, resumedAt: null, endedAt: at } }
}

function enqueue(
  state: QueueState,
  ids: readonly string[],
  prompt: string,
  priority: boolean,
  at: number
): QueueState {
  const items = { ...state.items }
  const added: string[] = []
  for (const id of ids) {
    const item = items[id]
    // Already waiting or running: asking again changes nothing (and must not count twice).
    if (!item || item.status === 'queued' || item.status === 'describing' || added.includes(id)) continue
    items[id] = { ...item, status: 'queued', queuedPrompt: prompt, queuedFrom: item.status }
    added.push(id)
  }
  if (added.length === 0) return state
  const next = { ...state, items }
  return {
    ...next,
    pending: priority ? state.pending : [...state.pending, ...added],
    priority: priority ? [...state.priority, ...added] : state.priority,
    batch: growBatch(state, added.length, at)
  }
}

function unqueue(state: QueueState, ids: readonly string[], at: number): QueueState {
  const wanted = new Set(ids.filter((id) => state.items[id]?.status === 'queued'))
  if (wanted.size === 0) return state
  const items = { ...state.items }
  for (const id of wanted) {
    const item = items[id]!
    items[id] = { ...item, status: item.queuedFrom ?? 'idle', queuedPrompt: null, queuedFrom: null }
  }
  const batch = isActiveBatch(state.batch)
    ? { ...state.batch, total: Math.max(0, state.batch.total - wanted.size) }
    : state.batch
  return settleBatch(
    {
      ...state,
      items,
      pending: state.pending.filter((id) => !wanted.has(id)),
      priority: state.priority.filter((id) => !wanted.has(id)),
      batch
    },
    at
  )
}

/** Starts queued images, one job each, when nothing is running; images that are not queued are left out. */
function start(state: QueueState, jobs: readonly { id: string; jobId: string }[]): QueueState {
  if (state.running.length > 0) return state
  const items = { ...state.items }
  const started: string[] = []
  for (const { id, jobId } of jobs) {
    const item = items[id]
    if (!item || item.status !== 'queued' || started.includes(id)) continue
    items[id] = {
      ...item,
      status: 'describing',
      text: '',
      prompt: item.queuedPrompt,
      queuedPrompt: null,
      queuedFrom: null,
      jobId,
      stage: 'waiting',
      error: null,
      stats: null,
      // Follow-ups talked about the old caption; a new caption starts a new conversation.
      followUps: []
    }
    started.push(id)
  }
  if (started.length === 0) return state
  return {
    ...state,
    items,
    pending: state.pending.filter((other) => !started.includes(other)),
    priority: state.priority.filter((other) => !started.includes(other)),
    running: started
  }
}

function finishRunning(
  state: QueueState,
  id: string,
  outcome: 'done' | 'stopped' | 'error',
  at: number
): QueueState {
  const batch = isActiveBatch(state.batch)
    ? {
        ...state.batch,
        finished: Math.min(state.batch.total, state.batch.finished + 1),
        failed: state.batch.failed + (outcome === 'error' ? 1 : 0),
        stopped: state.batch.stopped + (outcome === 'stopped' ? 1 : 0)
      }
    : state.batch
  return settleBatch({ ...state, running: state.running.filter((other) => other !== id), batch }, at)
}

function captionEvent(state: QueueState, id: string, jobId: string, event: JobEvent, at: number): QueueState {
  const item = state.items[id]
  // Events of an earlier job of this card (regenerated since) or of a removed card are stale.
  if (!item || item.jobId !== jobId || item.status !== 'describing') return state
  switch (event.type) {
    case 'started':
      return withItem(state, id, (it) => ({
        ...it,
        stage: 'started',
        preview: event.previews?.find((used) => used.image === 0)
      }))
    case 'progress':
      return withItem(state, id, (it) => ({ ...it, stage: event.stage }))
    case 'token':
      return withItem(state, id, (it) => ({ ...it, stage: 'generating', text: it.text + event.text }))
    case 'done': {
      const status = event.cancelled ? 'stopped' : 'done'
      const next = withItem(state, id, (it) => ({
        ...it,
        status,
        text: event.text,
        stage: null,
        stats: event.stats
      }))
      const withStats =
        event.cancelled || event.stats.generatedTokens === 0 ? next : { ...next, lastStats: event.stats }
      return state.running.includes(id) ? finishRunning(withStats, id, status, at) : withStats
    }
    case 'error': {
      const stopped = event.error.code === 'cancelled'
      const next = withItem(state, id, (it) => ({
        ...it,
        status: stopped ? 'stopped' : 'error',
        stage: null,
        error: stopped ? null : event.error
      }))
      return state.running.includes(id) ? finishRunning(next, id, stopped ? 'stopped' : 'error', at) : next
    }
  }
}

function followUpEvent(
  state: QueueState,
  id: string,
  followUpId: string,
  jobId: string,
  event: JobEvent
): QueueState {
  return withItem(state, id, (item) => {
    const index = item.followUps.findIndex((f) => f.id === followUpId)
    const followUp = item.followUps[index]
    if (!followUp || followUp.jobId !== jobId || followUp.status !== 'answering') return item
    let next: FollowUp = followUp
    if (event.type === 'token') next = { ...followUp, answer: followUp.answer + event.text }
    else if (event.type === 'done')
      next = { ...followUp, answer: event.text, status: event.cancelled ? 'stopped' : 'done' }
    else if (event.type === 'error')
      next =
        event.error.code === 'cancelled'
          ? { ...followUp, status: 'stopped' }
          : { ...followUp, status: 'error', error: event.error }
    if (next === followUp) return item
    const followUps = [...item.followUps]
    followUps[index] = next
    return { ...item, followUps }
  })
}

function remove(state: QueueState, ids: readonly string[], at: number): QueueState {
  const gone = new Set(ids.filter((id) => state.items[id]))
  if (gone.size === 0) return state
  const items: Record<string, QueueItem> = {}
  for (const [id, item] of Object.entries(state.items)) if (!gone.has(id)) items[id] = item
  const order = state.order.filter((id) => !gone.has(id))
  const queuedGone = [...gone].filter((id) => {
    const status = state.items[id]!.status
    return status === 'queued' || status === 'describing'
  }).length
  // The selection moves to the next card that stays (or the one before the removed block).
  let selectedId = state.selectedId
  if (selectedId !== null && gone.has(selectedId)) {
    const from = state.order.indexOf(selectedId)
    selectedId =
      state.order.slice(from + 1).find((id) => !gone.has(id)) ??
      state.order
        .slice(0, from)
        .reverse()
        .find((id) => !gone.has(id)) ??
      null
  }
  const batch = isActiveBatch(state.batch)
    ? { ...state.batch, total: Math.max(state.batch.finished, state.batch.total - queuedGone) }
    : state.batch
  return settleBatch(
    {
      ...state,
      order,
      items,
      pending: state.pending.filter((id) => !gone.has(id)),
      priority: state.priority.filter((id) => !gone.has(id)),
      running: state.running.some((id) => gone.has(id))
        ? state.running.filter((id) => !gone.has(id))
        : state.running,
      selectedId,
      batch
    },
    at
  )
}

export function reduceQueue(state: QueueState, action: QueueAction): QueueState {
  switch (action.type) {
    case 'add': {
      const fresh = action.images.filter(
        (image, index) =>
          !state.items[image.id] && action.images.findIndex((other) => other.id === image.id) === index
      )
      if (fresh.length === 0) return state
      const items = { ...state.items }
      for (const image of fresh) items[image.id] = newItem(image)
      const added: QueueState = {
        ...state,
        items,
        order: [...state.order, ...fresh.map((image) => image.id)],
        selectedId: state.selectedId ?? fresh[0]!.id
      }
      return action.prompt === null
        ? added
        : enqueue(
            added,
            fresh.map((image) => image.id),
            action.prompt,
            false,
            action.at
          )
    }
    case 'enqueue':
      return enqueue(state, action.ids, action.prompt, action.priority, action.at)
    case 'add-kept': {
      const id = action.image.id
      const existing = state.items[id]
      // A caption being written now wins over a kept one.
      if (existing && (existing.status === 'queued' || existing.status === 'describing')) return state
      const item: QueueItem = {
        ...(existing ?? newItem(action.image)),
        status: 'done',
        text: action.text,
        prompt: action.prompt,
        error: null,
        stats: null,
        stage: null
      }
      return {
        ...state,
        items: { ...state.items, [id]: item },
        order: existing ? state.order : [...state.order, id],
        selectedId: id
      }
    }
    case 'unqueue':
      return unqueue(state, action.ids, action.at)
    case 'start':
      return start(state, [{ id: action.id, jobId: action.jobId }])
    case 'start-group':
      return start(state, action.jobs)
    case 'job-event':
      return captionEvent(state, action.id, action.jobId, action.event, action.at)
    case 'pause': {
      if (state.paused) return state
      const batch =
        isActiveBatch(state.batch) && state.batch.resumedAt !== null
          ? {
              ...state.batch,
              activeMs: state.batch.activeMs + Math.max(0, action.at - state.batch.resumedAt),
              resumedAt: null
            }
          : state.batch
      return { ...state, paused: true, batch }
    }
    case 'resume': {
      if (!state.paused) return state
      const batch = isActiveBatch(state.batch) ? { ...state.batch, resumedAt: action.at } : state.batch
      return { ...state, paused: false, batch }
    }
    case 'remove':
      return remove(state, action.ids, action.at)
    case 'select':
      return action.id === state.selectedId || (action.id !== null && !state.items[action.id])
        ? state
        : { ...state, selectedId: action.id }
    case 'move-selection': {
      if (state.order.length === 0) return state
      const from = state.selectedId === null ? -1 : state.order.indexOf(state.selectedId)
      const to =
        from === -1
          ? action.by > 0
            ? 0
            : state.order.length - 1
          : Math.min(state.order.length - 1, Math.max(0, from + action.by))
      const id = state.order[to]!
      return id === state.selectedId ? state : { ...state, selectedId: id }
    }
    case 'select-edge': {
      const id = action.edge === 'first' ? state.order[0] : state.order.at(-1)
      return id === undefined || id === state.selectedId ? state : { ...state, selectedId: id }
    }
    case 'ask':
      return withItem(state, action.id, (item) => ({
        ...item,
        followUps: [
          ...item.followUps,
          {
            id: action.followUpId,
            question: action.question,
            answer: '',
            status: 'answering',
            error: null,
            jobId: null
          }
        ]
      }))
    case 'follow-up-start':
      return withItem(state, action.id, (item) => ({
        ...item,
        followUps: item.followUps.map((f) =>
          f.id === action.followUpId && f.jobId === null ? { ...f, jobId: action.jobId } : f
        )
      }))
    case 'follow-up-event':
      return followUpEvent(state, action.id, action.followUpId, action.jobId, action.event)
  }
}

/** The image to start next: asked-for ones first (even while paused), then the batch unless paused. */
export function nextToRun(state: QueueState): string | null {
  if (state.running.length > 0) return null
  return state.priority[0] ?? (state.paused ? null : (state.pending[0] ?? null))
}

/**
 * The images to start next together: the one nextToRun names, then up to `size` in all of those waiting (asked-for
 * first, the queue unless paused) that were queued with the same prompt, in queue order. The options besides the
 * prompt come from the settings when the job starts, so they are the same for all of them.
 */
export function nextGroup(state: QueueState, size: number): string[] {
  const lead = nextToRun(state)
  if (lead === null) return []
  const prompt = state.items[lead]!.queuedPrompt
  const waiting = state.paused ? state.priority : [...state.priority, ...state.pending]
  return waiting.filter((id) => state.items[id]!.queuedPrompt === prompt).slice(0, Math.max(1, size))
}

export interface BatchProgress {
  readonly total: number
  readonly finished: number
  readonly failed: number
  readonly stopped: number
  readonly remaining: number
  /** Images per minute of running time; null until one has finished. */
  readonly perMinute: number | null
  /** Time left at that rate; null while unknown or once the batch ended. */
  readonly etaMs: number | null
  readonly elapsedMs: number
  readonly ended: boolean
}

export function batchProgress(batch: Batch, now: number): BatchProgress {
  const elapsedMs = batch.activeMs + (batch.resumedAt === null ? 0 : Math.max(0, now - batch.resumedAt))
  const perMinute = batch.finished > 0 && elapsedMs >= 1000 ? (batch.finished * 60_000) / elapsedMs : null
  const remaining = Math.max(0, batch.total - batch.finished)
  const ended = batch.endedAt !== null
  return {
    total: batch.total,
    finished: batch.finished,
    failed: batch.failed,
    stopped: batch.stopped,
    remaining,
    perMinute,
    etaMs: !ended && perMinute !== null ? (remaining / perMinute) * 60_000 : null,
    elapsedMs,
    ended
  }
}

/** Counts per status, for the toolbar ("Describe 12") and the summary. */
export function statusCounts(state: QueueState): Record<ItemStatus, number> {
  const counts: Record<ItemStatus, number> = {
    idle: 0,
    queued: 0,
    describing: 0,
    done: 0,
    stopped: 0,
    error: 0
  }
  for (const id of state.order) counts[state.items[id]!.status]++
  return counts
}

/** Images that have no finished caption yet: what "Describe all" runs. */
export function undescribedIds(state: QueueState): string[] {
  return state.order.filter((id) => {
    const status = state.items[id]!.status
    return status === 'idle' || status === 'stopped' || status === 'error'
  })
}

/** The caption as shown and copied: the model's leading and trailing whitespace removed. */
export function displayText(text: string): string {
  return text.trim()
}
