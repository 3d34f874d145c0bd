import { afterEach, describe, expect, it } from 'vitest'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import type { WorkerLauncher } from '../../src/host/worker-process.ts'
import { fakeModel, inProcessLauncher } from './support/fake-worker.ts'
import { request, submit } from './support/jobs.ts'

const supervisors: WorkerSupervisor[] = []
function supervise(launcher: WorkerLauncher, restart = {}) {
  const supervisor = new WorkerSupervisor({ launcher, restart: { baseDelayMs: 1, ...restart } })
  supervisors.push(supervisor)
  return supervisor
}

afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop()
})

describe('worker supervisor (in-process worker)', () => {
  it('holds jobs submitted before the worker is ready and sends them once it is', async () => {
    const supervisor = supervise(inProcessLauncher())
    const job = submit(supervisor, request({ maxNewTokens: 3 }))
    expect(await job.finished).toMatchObject({ type: 'done', text: 'word0 word1 word2' })
  })

  it('gives a job submitted while the worker restarts to the new worker', async () => {
    const launcher = inProcessLauncher()
    const supervisor = supervise(launcher, { baseDelayMs: 20 })
    await submit(supervisor, request({ maxNewTokens: 1 })).finished
    launcher.launched[0].kill()
    await new Promise((resolve) => setImmediate(resolve))
    const job = submit(supervisor, request({ maxNewTokens: 2 }))
    expect(await job.finished).toMatchObject({ type: 'done', text: 'word0 word1' })
    expect(launcher.launched).toHaveLength(2)
  })

  it('stops restarting a worker that keeps dying, and fails waiting jobs instead of leaving them hanging', async () => {
    const dying: WorkerLauncher = {
      launch: () => {
        const exit: ((e: { code: number | null; signal: string | null; reason: string }) => void)[] = []
        setImmediate(() => exit.forEach((l) => l({ code: 1, signal: null, reason: 'crashed' })))
        return {
          pid: 1,
          send: () => undefined,
          kill: () => undefined,
          onMessage: () => undefined,
          onExit: (l) => exit.push(l)
        }
      }
    }
    const supervisor = supervise(dying, { maxCrashes: 2 })
    const job = submit(supervisor, request())
    const last = await job.finished
    expect(last).toMatchObject({ type: 'error', error: { code: 'worker-crashed' } })
    expect(supervisor.status().worker.state).toBe('failed')
  })

  it('answers cancel of a job that was never sent with done, cancelled', async () => {
    const supervisor = supervise(inProcessLauncher())
    const job = submit(supervisor, request())
    expect(supervisor.cancel(job.jobId)).toBe(true)
    expect(await job.finished).toMatchObject({ type: 'done', cancelled: true })
    expect(supervisor.cancel(job.jobId)).toBe(false)
  })

  it('passes engine failures through with their code', async () => {
    const supervisor = supervise(inProcessLauncher(async () => fakeModel({ failOn: 'broken' })))
    const job = submit(supervisor, request({ images: ['/photos/broken.png'] }))
    expect(await job.finished).toMatchObject({ type: 'error', error: { code: 'bad-image' } })
  })

  it('reports a model that fails to load in the status and on the job', async () => {
    const supervisor = supervise(
      inProcessLauncher(async () => {
        throw Object.assign(new Error('The model folder has no config.json.'), { code: 'model-missing' })
      })
    )
    const job = submit(supervisor, request())
    expect(await job.finished).toMatchObject({ type: 'error', error: { code: 'model-missing' } })
    const status = await supervisor.refreshStatus()
    expect(status).toMatchObject({ state: 'error', error: { code: 'model-missing' } })
  })

  it('unload ends running and queued jobs cancelled and reports unloaded', async () => {
    const supervisor = supervise(inProcessLauncher())
    await supervisor.load({ id: 'm', dir: '/models/m', variant: 'fp32', device: 'cpu' })
    const running = submit(supervisor, request({ maxNewTokens: 1000 }))
    const queued = submit(supervisor, request({ maxNewTokens: 1000 }))
    await running.firstToken
    const status = await supervisor.unload()
    expect(status.state).toBe('unloaded')
    expect(await running.finished).toMatchObject({ type: 'done', cancelled: true })
    expect(await queued.finished).toMatchObject({ type: 'done', cancelled: true })
  })
})
