import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import type { WorkerToMain } from '../../src/shared/contract.ts'
import { FIXTURE_MODEL, image, request, submit, tokenText } from '../host/support/jobs.ts'

/**
 * The worker's Node entry (src/worker/entry-node.ts) forked as a real child process running the fixture model
 * (tests/fixtures/models/tiny-gqa, random weights: the text is nonsense, the mechanics are real).
 */
describe('worker child process, through the supervisor', () => {
  let supervisor: WorkerSupervisor

  beforeAll(() => {
    supervisor = new WorkerSupervisor({ launcher: nodeWorkerLauncher(sourceWorkerEntry()) })
    supervisor.start()
  })

  afterAll(async () => {
    await supervisor.stop()
  })

  it('streams started, progress and token events and ends with done, whose text is the tokens joined', async () => {
    const job = submit(supervisor, request({ maxNewTokens: 6 }))
    const done = await job.finished
    const types = job.events.map((event) => event.type)
    expect(types[0]).toBe('started')
    expect(types).toContain('progress')
    expect(types.filter((type) => type === 'token').length).toBeGreaterThan(0)
    expect(types.at(-1)).toBe('done')
    expect(done.type).toBe('done')
    if (done.type !== 'done') return
    expect(done.cancelled).toBe(false)
    expect(done.text).toBe(tokenText(job.events))
    expect(done.stats.generatedTokens).toBeLessThanOrEqual(6)
    expect(done.stats.tiles).toBe(1)
  })

  it('reports the loaded model, its execution provider and the worker memory', async () => {
    const status = await supervisor.refreshStatus()
    expect(status.state).toBe('ready')
    expect(status.modelId).toBe('tiny-gqa')
    expect(status.provider).toBe('cpu')
    expect(status.sessions.map((s) => s.session).sort()).toEqual([
      'decoder_model_merged',
      'embed_tokens',
      'vision_encoder'
    ])
    expect(status.memoryMb).toBeGreaterThan(0)
    expect(status.worker.state).toBe('running')
    expect(status.worker.pid).toBeGreaterThan(0)
  })

  it('cancels a job mid-stream: it ends with done, cancelled, and the next job still works', async () => {
    const long = submit(supervisor, request({ maxNewTokens: 4096 }))
    await long.firstToken
    expect(supervisor.cancel(long.jobId)).toBe(true)
    const done = await long.finished
    expect(done).toMatchObject({ type: 'done', cancelled: true, stoppedBy: 'cancelled' })

    const next = await submit(supervisor, request({ maxNewTokens: 4 })).finished
    expect(next).toMatchObject({ type: 'done', cancelled: false })
  })

  it('runs two queued jobs one after the other, in order', async () => {
    const log: string[] = []
    const first = submit(supervisor, request({ maxNewTokens: 6 }), { log })
    const second = submit(supervisor, request({ maxNewTokens: 6, images: [image('wide.png')] }), { log })
    const [a, b] = await Promise.all([first.finished, second.finished])
    expect(a.type).toBe('done')
    expect(b.type).toBe('done')
    const lastOfFirst = log.lastIndexOf(`${first.jobId}:done`)
    const firstOfSecond = log.indexOf(`${second.jobId}:started`)
    expect(lastOfFirst).toBeGreaterThanOrEqual(0)
    expect(firstOfSecond).toBeGreaterThan(lastOfFirst)
  })

  it('removes a queued job on cancel: it ends cancelled without running', async () => {
    const running = submit(supervisor, request({ maxNewTokens: 4096 }))
    const queued = submit(supervisor, request({ maxNewTokens: 4 }))
    await running.firstToken
    expect(supervisor.cancel(queued.jobId)).toBe(true)
    expect(await queued.finished).toMatchObject({ type: 'done', cancelled: true, text: '' })
    expect(queued.events.map((event) => event.type)).toEqual(['done'])
    supervisor.cancel(running.jobId)
    expect(await running.finished).toMatchObject({ type: 'done', cancelled: true })
  })

  it.each(['truncated.png', 'not-an-image.jpg', 'empty.png'])(
    'answers the corrupt image bad/%s with a bad-image error event, and the next job succeeds',
    async (name) => {
      const bad = await submit(supervisor, request({ images: [image(`bad/${name}`)] })).finished
      expect(bad.type).toBe('error')
      if (bad.type === 'error') {
        expect(bad.error.code).toBe('bad-image')
        expect(bad.error.message).toContain(name)
      }
      expect(await submit(supervisor, request({ maxNewTokens: 3 })).finished).toMatchObject({
        type: 'done',
        cancelled: false
      })
    }
  )

  it('answers a missing model folder with model-missing, and keeps working for the right one', async () => {
    const missing = { ...FIXTURE_MODEL, id: 'nowhere', dir: `${FIXTURE_MODEL.dir}-does-not-exist` }
    const failed = await submit(supervisor, request(), { model: missing }).finished
    expect(failed).toMatchObject({ type: 'error', error: { code: 'model-missing' } })
    expect(await submit(supervisor, request({ maxNewTokens: 3 })).finished).toMatchObject({ type: 'done' })
  })

  it('unloads the model on request (status unloaded), and loads it again for the next job', async () => {
    const unloaded = await supervisor.unload()
    expect(unloaded.state).toBe('unloaded')
    expect(unloaded.provider).toBeNull()
    expect(await submit(supervisor, request({ maxNewTokens: 3 })).finished).toMatchObject({ type: 'done' })
    expect((await supervisor.refreshStatus()).state).toBe('ready')
  })
})

describe('worker child process, raw protocol', () => {
  let child: ChildProcess
  const received: WorkerToMain[] = []
  const waiters: { match: (m: WorkerToMain) => boolean; resolve: (m: WorkerToMain) => void }[] = []

  const next = (match: (m: WorkerToMain) => boolean): Promise<WorkerToMain> => {
    const found = received.find(match)
    if (found) {
      received.splice(received.indexOf(found), 1)
      return Promise.resolve(found)
    }
    return new Promise((resolve) => waiters.push({ match, resolve }))
  }

  beforeAll(async () => {
    const { entry, execArgv } = sourceWorkerEntry()
    child = fork(entry, [], {
      execArgv: [...(execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    child.on('message', (message: WorkerToMain) => {
      const index = waiters.findIndex((w) => w.match(message))
      if (index >= 0) waiters.splice(index, 1)[0].resolve(message)
      else received.push(message)
    })
    await next((m) => m.type === 'ready')
  })

  afterAll(() => {
    child.kill('SIGKILL')
  })

  it('rejects a describe with a wrong type with an invalid-message error on that job, without running it', async () => {
    child.send({
      type: 'describe',
      jobId: 'bad-1',
      model: FIXTURE_MODEL,
      request: { ...request(), prompt: 42 }
    })
    const event = await next((m) => m.type === 'job-event' && m.jobId === 'bad-1')
    expect(event).toMatchObject({
      type: 'job-event',
      event: { type: 'error', error: { code: 'invalid-message' } }
    })
    if (event.type === 'job-event' && event.event.type === 'error')
      expect(event.event.error.message).toContain('request.prompt')
    expect(await next((m) => m.type === 'job-finished' && m.jobId === 'bad-1')).toBeDefined()
  })

  it('rejects extra fields, relative paths and oversized prompts', async () => {
    const cases = [
      { id: 'extra', request: { ...request(), exec: 'rm -rf /' } },
      { id: 'relative', request: { ...request(), images: ['../../etc/passwd'] } },
      { id: 'huge', request: { ...request(), prompt: 'x'.repeat(9000) } }
    ]
    for (const c of cases)
      child.send({ type: 'describe', jobId: c.id, model: FIXTURE_MODEL, request: c.request })
    for (const c of cases) {
      const event = await next((m) => m.type === 'job-event' && m.jobId === c.id)
      expect(event).toMatchObject({ event: { type: 'error', error: { code: 'invalid-message' } } })
    }
  })

  it('reports a message it cannot pin on a job as a protocol error', async () => {
    child.send({ type: 'format-disk' })
    const message = await next((m) => m.type === 'protocol-error')
    expect(message).toMatchObject({ type: 'protocol-error', error: { code: 'invalid-message' } })
  })
})
