/**
 * The renderer's pure parts outside the queue reducer: the controller that runs jobs (against a fake API), the
 * follow-up chat it sends, the shortcut table, number formats, and the copy of the engine's precision notes.
 */
import { describe, expect, it } from 'vitest'
import type { DescribeJob, DescribeRequest, ImageRef, JobEvent, SmolvlmApi } from '../../src/shared/api.ts'
import { countImageParts, DescribeRequestSchema, ZERO_STATS } from '../../src/shared/jobs.ts'
import { followUpMessages } from '../../src/renderer/src/state/follow-up.ts'
import { formatBytes, formatDuration } from '../../src/renderer/src/state/format.ts'
import { effectivePrompt, PROMPT_PRESETS, presetForPrompt } from '../../src/renderer/src/state/prompts.ts'
import { QueueController } from '../../src/renderer/src/state/queue-controller.ts'
import { newItem } from '../../src/renderer/src/state/queue.ts'
import type { QueueItem } from '../../src/renderer/src/state/queue.ts'
import { exportRows, sidecarItems } from '../../src/renderer/src/state/results.ts'
import { DEFAULT_KEYWORD_OPTIONS } from '../../src/shared/keywords.ts'
import { chordLabel, commandFor, SHORTCUTS } from '../../src/renderer/src/state/shortcuts.ts'

/** A describe API whose jobs the test finishes by hand. */
function fakeApi() {
  const jobs: {
    request: DescribeRequest
    emit: (event: JobEvent) => void
    cancelled: boolean
    jobId: string
  }[] = []
  const api: Pick<SmolvlmApi, 'describe'> = {
    describe(request, onEvent) {
      const job = { request, emit: onEvent, cancelled: false, jobId: `job-${jobs.length + 1}` }
      jobs.push(job)
      const handle: DescribeJob = {
        jobId: job.jobId,
        cancel: () => {
          job.cancelled = true
        },
        finished: new Promise(() => undefined)
      }
      return handle
    }
  }
  return { api, jobs }
}

const image = (id: string): ImageRef => ({ id, name: `${id}.png`, hasPath: true })
const done = (text: string, cancelled = false): JobEvent => ({
  type: 'done',
  text,
  tokenIds: [],
  stoppedBy: cancelled ? 'cancelled' : 'eos',
  cancelled,
  stats: { ...ZERO_STATS, generatedTokens: 2, tokensPerSecond: 10 }
})

function controller() {
  const { api, jobs } = fakeApi()
  const frames: (() => void)[] = []
  let now = 0
  const queue = new QueueController(api, { clock: () => now, nextFrame: (callback) => frames.push(callback) })
  return { queue, jobs, frames, tick: (ms: number) => (now += ms) }
}

describe('queue controller', () => {
  it('runs one job at a time, each with the prompt captured when it was queued', () => {
    const { queue, jobs } = controller()
    queue.add([image('a'), image('b')], 'Tags.')
    expect(jobs.map((j) => j.request)).toEqual([{ images: ['a'], prompt: 'Tags.' }])
    jobs[0]!.emit(done('x'))
    expect(jobs.map((j) => j.request.images)).toEqual([['a'], ['b']])
    expect(queue.getState().items['a']?.status).toBe('done')
  })

  it('tells listeners about tokens once a frame, and about everything else at once', () => {
    const { queue, jobs, frames } = controller()
    let heard = 0
    queue.subscribe(() => heard++)
    queue.add([image('a')], 'Describe.')
    const afterAdd = heard
    jobs[0]!.emit({ type: 'token', id: 1, text: 'A' })
    jobs[0]!.emit({ type: 'token', id: 2, text: ' cat' })
    expect(heard).toBe(afterAdd)
    expect(frames).toHaveLength(1)
    frames[0]!()
    expect(heard).toBe(afterAdd + 1)
    expect(queue.getState().items['a']?.text).toBe('A cat')
    jobs[0]!.emit(done('A cat'))
    expect(heard).toBe(afterAdd + 2)
  })

  it('stop cancels the running job; the next one starts only when it has ended', () => {
    const { queue, jobs } = controller()
    queue.add([image('a'), image('b')], 'Describe.')
    expect(queue.stopCurrent()).toBe(true)
    expect(jobs[0]!.cancelled).toBe(true)
    expect(jobs).toHaveLength(1)
    jobs[0]!.emit(done('A', true))
    expect(queue.getState().items['a']?.status).toBe('stopped')
    expect(jobs).toHaveLength(2)
  })

  it('pause lets the running job finish and starts nothing more until resumed', () => {
    const { queue, jobs } = controller()
    queue.add([image('a'), image('b')], 'Describe.')
    queue.pause()
    jobs[0]!.emit(done('A'))
    expect(jobs).toHaveLength(1)
    queue.resume()
    expect(jobs).toHaveLength(2)
  })

  it('cancelAll empties the queue and stops the running job', () => {
    const { queue, jobs } = controller()
    queue.add([image('a'), image('b'), image('c')], 'Describe.')
    queue.cancelAll()
    jobs[0]!.emit(done('', true))
    expect(jobs).toHaveLength(1)
    expect(['a', 'b', 'c'].map((id) => queue.getState().items[id]?.status)).toEqual([
      'stopped',
      'idle',
      'idle'
    ])
  })

  it('describeAll queues only images without a finished caption, or all of them when asked again', () => {
    const { queue, jobs } = controller()
    queue.add([image('a'), image('b')], null)
    queue.describe(['a'], 'One.')
    jobs[0]!.emit(done('A'))
    expect(queue.describeAll('Two.')).toBe(1)
    jobs[1]!.emit(done('B'))
    expect(queue.describeAll('Three.', { again: true })).toBe(2)
    expect(jobs.slice(2).map((j) => j.request)).toEqual([{ images: ['a'], prompt: 'Three.' }])
  })

  it('asks follow-up questions as a chat about the same image and streams the answer into its turn', () => {
    const { queue, jobs, frames } = controller()
    queue.add([image('a')], 'Describe.')
    jobs[0]!.emit(done(' A red car. '))
    queue.ask('a', '  What colour?  ')
    const request = jobs[1]!.request
    expect(DescribeRequestSchema.safeParse(request).success).toBe(true)
    expect(request.messages?.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    jobs[1]!.emit({ type: 'token', id: 3, text: 'Red' })
    frames.forEach((f) => f())
    jobs[1]!.emit(done('Red.'))
    expect(queue.getState().items['a']?.followUps).toMatchObject([
      { question: 'What colour?', answer: 'Red.', status: 'done' }
    ])
  })

  it('ends a job the API refused synchronously with an error card, and goes on', () => {
    let calls = 0
    const api: Pick<SmolvlmApi, 'describe'> = {
      describe: () => {
        calls++
        throw new Error('The app is closing.')
      }
    }
    const queue = new QueueController(api, { nextFrame: (f) => f() })
    queue.add([image('a'), image('b')], 'Describe.')
    expect(calls).toBe(2)
    expect(queue.getState().items['a']).toMatchObject({
      status: 'error',
      error: { code: 'internal', message: 'The app is closing.' }
    })
  })
})

describe('follow-up messages', () => {
  const item = (patch: Partial<QueueItem>): QueueItem => ({ ...newItem(image('a')), ...patch })

  it('puts the image with the prompt that made the caption, then the caption, then the question', () => {
    const messages = followUpMessages(
      item({ status: 'done', text: ' A dog. ', prompt: 'Short caption.' }),
      'Is it happy?',
      'Describe.'
    )
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Short caption.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'A dog.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Is it happy?' }] }
    ])
  })

  it('sends the image with the question when there is no caption yet', () => {
    const messages = followUpMessages(item({ status: 'error' }), 'What is this?', 'Describe.')
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is this?' }] }
    ])
  })

  it('keeps exactly one image part and stays within the message limit after a long chat', () => {
    const followUps = Array.from({ length: 80 }, (_, i) => ({
      id: `f${i}`,
      question: `Q${i}`,
      answer: `A${i}`,
      status: 'done' as const,
      error: null,
      jobId: `j${i}`
    }))
    const messages = followUpMessages(
      item({ status: 'done', text: 'Cap.', prompt: 'P', followUps }),
      'Last?',
      'D'
    )
    expect(countImageParts(messages)).toBe(1)
    expect(messages.length).toBeLessThanOrEqual(64)
    expect(messages.at(-2)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'A79' }] })
  })
})

describe('keyboard shortcuts', () => {
  const key = (
    k: string,
    mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}
  ) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods
  })
  const linux = { mac: false, typing: false }

  it('maps keys to commands, with Cmd on macOS where others use Ctrl', () => {
    expect(commandFor(key('o', { ctrlKey: true }), linux)).toBe('open-images')
    expect(commandFor(key('O', { ctrlKey: true, shiftKey: true }), linux)).toBe('open-folder')
    expect(commandFor(key('o', { metaKey: true }), { mac: true, typing: false })).toBe('open-images')
    expect(commandFor(key('o', { metaKey: true }), linux)).toBeNull()
    expect(commandFor(key('Enter', { ctrlKey: true }), linux)).toBe('describe-all')
    expect(commandFor(key('Escape'), linux)).toBe('stop')
    expect(commandFor(key('Escape', { shiftKey: true }), linux)).toBe('cancel-batch')
    expect(commandFor(key('?', { shiftKey: true }), linux)).toBe('help')
    expect(commandFor(key('ArrowDown'), linux)).toBe('next')
    expect(commandFor(key('c'), linux)).toBe('copy')
    expect(commandFor(key('3', { altKey: true }), linux)).toBe('preset-3')
  })

  it('leaves letters to a text field while typing, but not the chords with a modifier', () => {
    const typing = { mac: false, typing: true }
    expect(commandFor(key('c'), typing)).toBeNull()
    expect(commandFor(key('Escape'), typing)).toBeNull()
    expect(commandFor(key('Enter', { ctrlKey: true }), typing)).toBe('describe-all')
  })

  it('gives every command one entry, and no two commands the same chord', () => {
    const commands = SHORTCUTS.map((s) => s.command)
    expect(new Set(commands).size).toBe(commands.length)
    const chords = SHORTCUTS.flatMap((s) => s.chords.map((c) => chordLabel(c, false)))
    expect(new Set(chords).size).toBe(chords.length)
    expect(chordLabel({ key: 'Enter', mod: true, shift: true }, false)).toBe('Ctrl+Shift+Enter')
    expect(chordLabel({ key: 'Enter', mod: true, shift: true }, true)).toBe('⌘⇧↩')
  })
})

describe('prompts, formats and results', () => {
  it('has the five presets, each recognised from its text', () => {
    expect(PROMPT_PRESETS.map((p) => p.id)).toEqual([
      'short-caption',
      'detailed',
      'alt-text',
      'read-text',
      'tags'
    ])
    for (const preset of PROMPT_PRESETS) expect(presetForPrompt(preset.prompt)).toBe(preset)
    expect(effectivePrompt('   ')).toBe('Can you describe this image?')
  })

  it('formats sizes and durations for people', () => {
    expect([formatBytes(0), formatBytes(1), formatBytes(1500), formatBytes(270_000_000)]).toEqual([
      '0 bytes',
      '1 byte',
      '1.5 KB',
      '270 MB'
    ])
    expect([380, 4600, 65_000, 7_380_000].map(formatDuration)).toEqual([
      '380 ms',
      '4.6 s',
      '1 min 05 s',
      '2 h 03 min'
    ])
  })

  it('exports trimmed captions and leaves pasted images out of the caption files', () => {
    const items: QueueItem[] = [
      { ...newItem(image('a')), status: 'done', text: '  A cat. ', prompt: 'P' },
      { ...newItem({ id: 'b', name: 'Pasted.png', hasPath: false }), status: 'done', text: 'B', prompt: 'P' }
    ]
    expect(sidecarItems(items, DEFAULT_KEYWORD_OPTIONS)).toEqual([
      { imageId: 'a', text: 'A cat.', keywords: null }
    ])
    expect(
      exportRows(items, { modelId: 'smolvlm-256m', status: null, keywords: DEFAULT_KEYWORD_OPTIONS })[0]
    ).toEqual({
      imageId: 'a',
      text: 'A cat.',
      prompt: 'P',
      modelId: 'smolvlm-256m',
      cancelled: false
    })
  })
})
