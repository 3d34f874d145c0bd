import { EventEmitter } from 'node:events'
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SmolvlmApi } from '../../src/shared/api.ts'
import type { JobEvent } from '../../src/shared/contract.ts'
import { invokeChannel, JOB_PORT_CHANNEL, pushChannel } from '../../src/shared/contract.ts'

/**
 * The preload (src/preload/index.ts) against a stand-in for Electron's renderer modules: what it exposes, what
 * it sends, how it routes a job's port and validates what arrives. (The real thing runs in tests/e2e-electron.)
 */
const electron = vi.hoisted(() => {
  const exposed: Record<string, unknown> = {}
  const invoke = vi.fn()
  return { exposed, invoke, paths: new Map<unknown, string>() }
})
const ipc = new EventEmitter()

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (electron.exposed[key] = api) },
  ipcRenderer: {
    invoke: electron.invoke,
    on: (channel: string, listener: (...args: unknown[]) => void) => ipc.on(channel, listener),
    removeListener: (channel: string, listener: (...args: unknown[]) => void) =>
      ipc.removeListener(channel, listener)
  },
  webUtils: { getPathForFile: (file: unknown) => electron.paths.get(file) ?? '' }
}))

let api: SmolvlmApi
beforeAll(async () => {
  await import('../../src/preload/index.ts')
  api = electron.exposed['smolvlm'] as SmolvlmApi
})
beforeEach(() => {
  electron.invoke.mockReset()
  electron.paths.clear()
})

const stats = {
  inputTokens: 1,
  tiles: 1,
  generatedTokens: 1,
  reusedTokens: 0,
  preprocessMs: 0,
  visionMs: 0,
  prefillMs: 0,
  ttftMs: 0,
  decodeMs: 0,
  tokensPerSecond: 0,
  totalMs: 0,
  ortMs: 0
}

describe('preload', () => {
  it('exposes window.smolvlm and nothing that reaches ipcRenderer', () => {
    expect(Object.keys(electron.exposed)).toEqual(['smolvlm'])
    expect(Object.keys(api).sort()).toEqual([
      'describe',
      'describeBatch',
      'images',
      'library',
      'model',
      'results',
      'settings',
      'store',
      'version',
      'watch'
    ])
    expect(JSON.stringify(Object.keys(api.images))).not.toContain('addPaths')
  })

  it('sends dropped files as the paths webUtils gives, and files without one as bytes', async () => {
    const dropped = new File([new Uint8Array([1])], 'a.png')
    const built = new File([new Uint8Array([7, 8])], 'b.png')
    electron.paths.set(dropped, '/photos/a.png')
    electron.invoke.mockImplementation(async (channel: string) =>
      channel === invokeChannel('images.addPaths')
        ? { ok: true, value: [{ id: 'i1', name: 'a.png', hasPath: true }] }
        : { ok: true, value: { id: 'i2', name: 'b.png', hasPath: false } }
    )
    const refs = await api.images.add([dropped, built])
    expect(refs.map((r) => r.id)).toEqual(['i1', 'i2'])
    expect(electron.invoke.mock.calls[0]).toEqual([
      invokeChannel('images.addPaths'),
      { paths: ['/photos/a.png'] }
    ])
    expect(electron.invoke.mock.calls[1][0]).toBe(invokeChannel('images.fromBytes'))
    expect(electron.invoke.mock.calls[1][1].bytes).toEqual(new Uint8Array([7, 8]))
  })

  it('rejects a failed call with the human message', async () => {
    electron.invoke.mockResolvedValue({
      ok: false,
      error: { code: 'not-granted', message: 'The image was not given to the app.' }
    })
    await expect(api.images.thumbnail('x')).rejects.toThrow('The image was not given to the app.')
  })

  it('streams a job from its port to the callback, validating each event, and settles finished', async () => {
    electron.invoke.mockResolvedValue({ ok: true, value: { accepted: true } })
    const seen: JobEvent[] = []
    const job = api.describe({ images: [] }, (event) => seen.push(event))
    const [channel, payload] = electron.invoke.mock.calls[0]
    expect(channel).toBe(invokeChannel('describe'))
    expect(payload).toEqual({ jobId: job.jobId, request: { images: [] } })

    const { port1, port2 } = new MessageChannel()
    ipc.emit(JOB_PORT_CHANNEL, { ports: [port2] }, { jobId: job.jobId })
    port1.postMessage({ type: 'token', id: 1, text: ' a' })
    port1.postMessage({ type: 'token', id: 'not a number', text: 'forged' })
    const done = await job.finished
    port1.close()
    expect(seen[0]).toEqual({ type: 'token', id: 1, text: ' a' })
    expect(seen[1]).toMatchObject({ type: 'error', error: { code: 'invalid-message' } })
    expect(done).toBe(seen[1])
  })

  it('turns a refused describe into the job’s error event', async () => {
    electron.invoke.mockResolvedValue({ ok: false, error: { code: 'not-granted', message: 'no' } })
    const seen: JobEvent[] = []
    const job = api.describe({ images: ['forged'] }, (event) => seen.push(event))
    expect(await job.finished).toEqual({ type: 'error', error: { code: 'not-granted', message: 'no' } })
    expect(seen).toHaveLength(1)
  })

  it('starts a batch as one describeBatch call with a job per image, each streaming from its own port', async () => {
    electron.invoke.mockResolvedValue({ ok: true, value: { accepted: true } })
    const seen: [number, JobEvent][] = []
    const jobs = api.describeBatch({ images: ['i1', 'i2'], prompt: 'Say' }, (index, event) =>
      seen.push([index, event])
    )
    const [channel, payload] = electron.invoke.mock.calls[0]
    expect(channel).toBe(invokeChannel('describeBatch'))
    expect(payload).toEqual({
      jobs: [
        { jobId: jobs[0]!.jobId, image: 'i1' },
        { jobId: jobs[1]!.jobId, image: 'i2' }
      ],
      prompt: 'Say'
    })
    expect(jobs[0]!.jobId).not.toBe(jobs[1]!.jobId)

    const ports = jobs.map((job) => {
      const { port1, port2 } = new MessageChannel()
      ipc.emit(JOB_PORT_CHANNEL, { ports: [port2] }, { jobId: job.jobId })
      return port1
    })
    const done = { type: 'done', text: ' b', tokenIds: [2], stoppedBy: 'eos', cancelled: false, stats }
    ports[1]!.postMessage({ type: 'token', id: 2, text: ' b' })
    ports[1]!.postMessage(done)
    expect(await jobs[1]!.finished).toEqual(done)
    ports[0]!.postMessage({ ...done, stoppedBy: 'cancelled', cancelled: true })
    await jobs[0]!.finished
    for (const port of ports) port.close()
    expect(seen.map(([index, event]) => `${index}:${event.type}`)).toEqual(['1:token', '1:done', '0:done'])

    jobs[0]!.cancel()
    expect(electron.invoke.mock.calls[1]).toEqual([invokeChannel('cancel'), { jobId: jobs[0]!.jobId }])
  })

  it('ends every job of a refused batch with the refusal', async () => {
    electron.invoke.mockResolvedValue({ ok: false, error: { code: 'not-granted', message: 'no' } })
    const jobs = api.describeBatch({ images: ['forged', 'i1'] }, () => undefined)
    for (const job of jobs)
      expect(await job.finished).toEqual({ type: 'error', error: { code: 'not-granted', message: 'no' } })
  })

  it('delivers events the host sends on the push channel (worker crashed) and ignores later ones', async () => {
    electron.invoke.mockResolvedValue({ ok: true, value: { accepted: true } })
    const seen: JobEvent[] = []
    const job = api.describe({ images: [] }, (event) => seen.push(event))
    const crash = {
      type: 'error',
      error: { code: 'worker-crashed', message: 'The model worker was killed.' }
    }
    ipc.emit(pushChannel('job-event'), {}, { jobId: job.jobId, event: crash })
    ipc.emit(
      pushChannel('job-event'),
      {},
      {
        jobId: job.jobId,
        event: { type: 'done', text: '', tokenIds: [], stoppedBy: 'eos', cancelled: false, stats }
      }
    )
    expect(await job.finished).toEqual(crash)
    expect(seen).toEqual([crash])
  })

  it('gives listeners only valid payloads and lets them unsubscribe', () => {
    const statuses: unknown[] = []
    const off = api.settings.onChange((s) => statuses.push(s))
    ipc.emit(pushChannel('settings'), {}, { theme: 'neon' })
    expect(statuses).toEqual([])
    off()
    expect(ipc.listenerCount(pushChannel('settings'))).toBe(0)
  })

  it('keeps the watched folder’s images that arrive before the page listens, and drops invalid ones', () => {
    const image = { id: 'w1', name: 'a.png', hasPath: true }
    ipc.emit(pushChannel('watch-images'), {}, [image])
    ipc.emit(pushChannel('watch-images'), {}, [{ id: 'w2', name: 'b.png', hasPath: true, path: '/x/b.png' }])
    const seen: unknown[] = []
    const off = api.watch.onImages((images) => seen.push(images))
    expect(seen).toEqual([[image]])
    off()
  })

  it('asks the host to start watching with the page’s choice only (the folder comes from the host’s dialog)', async () => {
    const status = {
      watching: true,
      name: 'In',
      added: 0,
      waiting: 0,
      lost: 0,
      problem: null,
      writeCaptionFiles: true
    }
    electron.invoke.mockResolvedValue({ ok: true, value: status })
    await expect(api.watch.start({ writeCaptionFiles: true })).resolves.toEqual(status)
    expect(electron.invoke.mock.calls[0]).toEqual([invokeChannel('watch.start'), { writeCaptionFiles: true }])
  })
})
