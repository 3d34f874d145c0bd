import { execFileSync } from 'node:child_process'
import { constants } from 'node:fs'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import type { TerminalEvent } from '../../src/shared/contract.ts'
import { buildHostileCorpus } from '../support/hostile-corpus.ts'
import type { CorpusEntry, HostileCorpus } from '../support/hostile-corpus.ts'
import { FIXTURE_MODEL, request, submit } from '../host/support/jobs.ts'

/** Generous: each of these answers in milliseconds; the bound only catches a hang. */
const EACH_MS = 20_000

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function check(entry: CorpusEntry, event: TerminalEvent): void {
  const label = `${entry.id} (${entry.note})`
  if (entry.expect === 'ok') {
    expect(event, label).toMatchObject({ type: 'done', cancelled: false })
    return
  }
  expect(event.type, label).toBe('error')
  if (event.type !== 'error') return
  expect(event.error.code, `${label}: ${event.error.message}`).toBe(entry.expect)
  if (entry.message) expect(event.error.message, label).toMatch(entry.message)
}

/**
 * The hostile corpus (tests/support/hostile-corpus.ts) through the real worker, forked as a child process with the
 * fixture model: every input gets its typed answer within a time bound, the queue goes on, memory stays bounded,
 * and the worker still works afterwards.
 */
describe('worker child process: hostile inputs', () => {
  let supervisor: WorkerSupervisor
  let corpus: HostileCorpus

  beforeAll(async () => {
    corpus = await buildHostileCorpus()
    supervisor = new WorkerSupervisor({ launcher: nodeWorkerLauncher(sourceWorkerEntry()) })
    supervisor.start()
    // Load the model and take a first reading of memory.
    await within(submit(supervisor, request({ maxNewTokens: 2 })).finished, 60_000, 'warm-up')
  })

  afterAll(async () => {
    await supervisor.stop()
    await corpus.cleanup()
  })

  it('answers every image of the corpus, all queued at once, each with its result or typed error', async () => {
    const before = (await supervisor.refreshStatus()).memoryMb ?? 0
    const jobs = corpus.images.map((entry) => ({
      entry,
      job: submit(supervisor, request({ images: [entry.path], maxNewTokens: 2 }))
    }))
    for (const { entry, job } of jobs) {
      check(entry, await within(job.finished, EACH_MS, entry.id))
    }
    const status = await supervisor.refreshStatus()
    expect(status.worker.state).toBe('running')
    expect(status.state).toBe('ready')
    // /dev/zero and /dev/urandom were refused, not read: the worker did not grow by anything like their reads
    // (the issue saw 6.3 GB in 40 s). 300 MB leaves room for the allocator's own slack on 33 small images.
    expect(status.memoryMb).not.toBeNull()
    expect((status.memoryMb ?? 0) - before).toBeLessThan(300)
    expect(status.memoryMb ?? 0).toBeLessThan(1500)
  })

  it('answers several bad images in one job with one error, and a job after it works', async () => {
    const paths = corpus.images.filter((e) => e.expect === 'bad-image').map((e) => e.path)
    const event = await within(
      submit(supervisor, request({ images: paths.slice(0, 4), maxNewTokens: 2 })).finished,
      EACH_MS,
      'several bad images'
    )
    expect(event).toMatchObject({ type: 'error', error: { code: 'bad-image' } })
    expect(
      await within(submit(supervisor, request({ maxNewTokens: 2 })).finished, EACH_MS, 'next')
    ).toMatchObject({ type: 'done', cancelled: false })
  })

  it('cancels a queued job behind a FIFO image, and the one after runs', async () => {
    const fifo = corpus.images.find((e) => e.id === 'fifo')
    if (!fifo) return // mkfifo missing: listed in corpus.skipped
    const first = submit(supervisor, request({ images: [fifo.path], maxNewTokens: 2 }))
    const second = submit(supervisor, request({ images: [fifo.path], maxNewTokens: 2 }))
    const third = submit(supervisor, request({ maxNewTokens: 2 }))
    supervisor.cancel(second.jobId)
    expect(await within(first.finished, EACH_MS, 'fifo')).toMatchObject({
      type: 'error',
      error: { code: 'bad-image' }
    })
    expect(await within(second.finished, EACH_MS, 'cancelled')).toMatchObject({
      type: 'done',
      cancelled: true
    })
    expect(await within(third.finished, EACH_MS, 'after')).toMatchObject({ type: 'done', cancelled: false })
  })

  it('fails each broken model folder once, at load, with its typed error, and loads the good model after', async () => {
    for (const entry of corpus.models) {
      const model = { ...FIXTURE_MODEL, id: `broken-${entry.id}`, dir: entry.path }
      // Three images: a model that does not fit together must fail once for the job, not once per image.
      const images = [1, 2, 3].map(() => request().images[0]!)
      const event = await within(
        submit(supervisor, request({ images, maxNewTokens: 2 }), { model }).finished,
        EACH_MS,
        entry.id
      )
      check(entry, event)
    }
    expect(
      await within(submit(supervisor, request({ maxNewTokens: 2 })).finished, 60_000, 'good model')
    ).toMatchObject({ type: 'done', cancelled: false })
    expect((await supervisor.refreshStatus()).modelId).toBe(FIXTURE_MODEL.id)
  })

  describe('SVG references are never followed', () => {
    let dir: string
    let server: Server
    let connections = 0

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'smolvlm-svg-'))
      server = createServer((_, response) => response.end())
      server.on('connection', () => connections++)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    })

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve))
      await rm(dir, { recursive: true, force: true })
    })

    it('refuses an SVG (named .svg or .png) without opening its file:// reference or connecting to its URL', async () => {
      // The file:// target is a FIFO: had anything opened it to read, that open would have blocked (no writer).
      const fifo = join(dir, 'canary.png')
      execFileSync('mkfifo', [fifo])
      const port = (server.address() as AddressInfo).port
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">
        <image href="file://${fifo}" width="32" height="32"/>
        <image href="http://127.0.0.1:${port}/x.png" x="32" width="32" height="32"/>
        <rect width="8" height="8" fill="red"/></svg>`
      for (const name of ['refs.svg', 'refs.png']) {
        await writeFile(join(dir, name), svg)
        const event = await within(
          submit(supervisor, request({ images: [join(dir, name)], maxNewTokens: 2 })).finished,
          EACH_MS,
          name
        )
        expect(event).toMatchObject({ type: 'error', error: { code: 'bad-image' } })
        if (event.type === 'error') expect(event.error.message).toMatch(/SVG/)
      }
      expect(connections).toBe(0)
      // No reader holds the FIFO open: a non-blocking open for writing fails with ENXIO.
      await expect(open(fifo, constants.O_WRONLY | constants.O_NONBLOCK)).rejects.toMatchObject({
        code: 'ENXIO'
      })
    })
  })
})
