import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import type {
  DoneEvent,
  ModelSpec,
  TerminalEvent,
  WorkerBatchRequest,
  WorkerToMain
} from '../../src/shared/contract.ts'
import { FIXTURE_MODEL, image, REPO_ROOT, submit, submitBatch, tokenText } from '../host/support/jobs.ts'

/**
 * describe-batch through the real worker (src/worker/entry-node.ts as a child process) on the official-shape
 * fixture whose decoder can batch (tiny-gqa-genai, random weights): each image of a batch is its own job.
 */
const BATCHING_MODEL: ModelSpec = {
  ...FIXTURE_MODEL,
  id: 'tiny-gqa-genai',
  dir: resolve(REPO_ROOT, 'tests/fixtures/models/tiny-gqa-genai')
}
// Fast mode: one frame per image, so every prompt has one length and the images share decoder runs.
const BATCH: WorkerBatchRequest = {
  prompt: 'Describe this image.',
  maxNewTokens: 24,
  sampling: { kind: 'greedy' },
  doImageSplitting: false
}
const IMAGES = ['square.png', 'wide.png', 'tall.png', 'gray.png'].map(image)
// With this prompt the random-weight fixture ends square.png at eos after 20 tokens, wide.png after 128, and writes
// tall.png, rgba.png and palette.png for at least 200: long enough to be stopped or killed part-way.
const LONG: WorkerBatchRequest = { ...BATCH, prompt: 'Can you describe this image?', maxNewTokens: 200 }
const LONG_IMAGES = ['tall.png', 'rgba.png', 'palette.png'].map(image)

const done = (event: TerminalEvent) => {
  if (event.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(event)}`)
  return event
}

describe('describe-batch in the worker child process', () => {
  let supervisor: WorkerSupervisor

  beforeAll(() => {
    supervisor = new WorkerSupervisor({
      launcher: nodeWorkerLauncher(sourceWorkerEntry()),
      restart: { baseDelayMs: 50 }
    })
    supervisor.start()
  })

  afterAll(async () => {
    await supervisor.stop()
  })

  it("gives each image of a batch the tokens of its own one-image job, streamed on that image's job", async () => {
    const alone: DoneEvent[] = []
    for (const path of IMAGES) {
      const job = submit(supervisor, { images: [path], ...BATCH }, { model: BATCHING_MODEL })
      alone.push(done(await job.finished))
    }
    expect((await supervisor.refreshStatus()).canBatch).toBe(true)

    const log: string[] = []
    const batch = submitBatch(supervisor, IMAGES, BATCH, { model: BATCHING_MODEL, log })
    const ends = (await Promise.all(batch.map((job) => job.finished))).map(done)
    ends.forEach((end, i) => {
      expect(end.tokenIds, IMAGES[i]).toEqual(alone[i]!.tokenIds)
      expect(end.text).toBe(alone[i]!.text)
      expect(tokenText(batch[i]!.events)).toBe(end.text)
      expect(batch[i]!.events[0]).toMatchObject({ type: 'started', tiles: 1 })
    })
    expect(ends.every((end) => !end.cancelled && end.tokenIds.length > 0)).toBe(true)
    // Decoded together: the second image writes before the first is done (one by one, it would start after).
    expect(log.indexOf(`${batch[1]!.jobId}:token`)).toBeLessThan(log.indexOf(`${batch[0]!.jobId}:done`))
  })

  it('stops only the image whose job is cancelled; the rest of the batch finishes with its tokens', async () => {
    const paths = [image('square.png'), image('tall.png'), image('wide.png')]
    const alone: DoneEvent[] = []
    for (const path of paths) {
      const job = submit(supervisor, { images: [path], ...LONG }, { model: BATCHING_MODEL })
      alone.push(done(await job.finished))
    }
    // The image to stop must still be writing when the cancel lands; the others end on their own (eos).
    expect(alone.map((end) => end.stoppedBy)).toEqual(['eos', 'max-tokens', 'eos'])

    const batch = submitBatch(supervisor, paths, LONG, { model: BATCHING_MODEL })
    await batch[1]!.firstToken
    expect(supervisor.cancel(batch[1]!.jobId)).toBe(true)
    const [first, stopped, third] = (await Promise.all(batch.map((job) => job.finished))).map(done)
    expect(stopped).toMatchObject({ cancelled: true, stoppedBy: 'cancelled' })
    expect(stopped!.tokenIds.length).toBeLessThan(200)
    expect(first!.tokenIds).toEqual(alone[0]!.tokenIds)
    expect(third!.tokenIds).toEqual(alone[2]!.tokenIds)
  })

  it('fails a broken image of a batch on its own job while the others are described', async () => {
    const paths = [IMAGES[0]!, resolve(REPO_ROOT, 'tests/fixtures/images/bad/truncated.png'), IMAGES[1]!]
    const batch = submitBatch(supervisor, paths, BATCH, { model: BATCHING_MODEL })
    const [a, bad, b] = await Promise.all(batch.map((job) => job.finished))
    expect(bad).toMatchObject({ type: 'error', error: { code: 'bad-image' } })
    expect(done(a!).tokenIds.length).toBeGreaterThan(0)
    expect(done(b!).tokenIds.length).toBeGreaterThan(0)
  })

  it('ends a job cancelled while its batch waits in the queue without running it', async () => {
    const first = submit(supervisor, { images: [LONG_IMAGES[0]!], ...LONG }, { model: BATCHING_MODEL })
    const batch = submitBatch(supervisor, IMAGES.slice(0, 2), BATCH, { model: BATCHING_MODEL })
    await first.firstToken
    expect(supervisor.cancel(batch[0]!.jobId)).toBe(true)
    const [waiting, other] = await Promise.all(batch.map((job) => job.finished))
    expect(waiting).toMatchObject({ type: 'done', cancelled: true, tokenIds: [] })
    expect(batch[0]!.events.some((event) => event.type === 'started')).toBe(false)
    expect(done(other!).cancelled).toBe(false)
    await first.finished
  })

  it('ends every unfinished image of a batch with worker-crashed when the worker dies, and the next batch runs', async () => {
    const batch = submitBatch(
      supervisor,
      LONG_IMAGES,
      { ...LONG, maxNewTokens: 4096 },
      { model: BATCHING_MODEL }
    )
    await batch[0]!.firstToken
    const pid = supervisor.pid
    process.kill(pid as number, 'SIGKILL')
    for (const job of batch) {
      const last = await job.finished
      expect(last).toMatchObject({ type: 'error', error: { code: 'worker-crashed' } })
      if (last.type === 'error') expect(last.error.message).toContain('SIGKILL')
    }
    const next = submitBatch(supervisor, IMAGES.slice(0, 2), BATCH, { model: BATCHING_MODEL })
    for (const job of next) expect(done(await job.finished).cancelled).toBe(false)
    expect(supervisor.status().worker.restarts).toBe(1)
  })
})

describe('describe-batch on the raw worker protocol', () => {
  let child: ChildProcess
  const received: WorkerToMain[] = []

  beforeAll(async () => {
    const { entry, execArgv } = sourceWorkerEntry()
    child = fork(entry, [], {
      execArgv: [...(execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    await new Promise<void>((ready) =>
      child.on('message', (message: WorkerToMain) => {
        received.push(message)
        if (message.type === 'ready') ready()
      })
    )
  })

  afterAll(() => {
    child.kill('SIGKILL')
  })

  const until = async (match: (m: WorkerToMain) => boolean): Promise<WorkerToMain> => {
    for (;;) {
      const found = received.find(match)
      if (found) return found
      await new Promise((tick) => setTimeout(tick, 10))
    }
  }

  it('answers each job of a malformed batch with invalid-message on its own stream, running none', async () => {
    child.send({
      type: 'describe-batch',
      model: BATCHING_MODEL,
      jobs: [
        { jobId: 'bad-a', image: image('square.png') },
        { jobId: 'bad-b', image: 'relative/wide.png' }
      ],
      request: BATCH
    })
    for (const jobId of ['bad-a', 'bad-b']) {
      const event = await until((m) => m.type === 'job-event' && m.jobId === jobId)
      expect(event).toMatchObject({ event: { type: 'error', error: { code: 'invalid-message' } } })
      if (event.type === 'job-event' && event.event.type === 'error')
        expect(event.event.error.message).toContain('jobs.1.image')
      await until((m) => m.type === 'job-finished' && m.jobId === jobId)
    }
    expect(received.some((m) => m.type === 'job-event' && m.event.type === 'started')).toBe(false)
  })
})
