import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import type { ModelStatus } from '../../src/shared/contract.ts'
import { request, submit } from '../host/support/jobs.ts'

describe('worker crash (kill -9 during a job)', () => {
  let supervisor: WorkerSupervisor
  const states: ModelStatus['worker']['state'][] = []

  beforeAll(() => {
    supervisor = new WorkerSupervisor({
      launcher: nodeWorkerLauncher(sourceWorkerEntry()),
      restart: { baseDelayMs: 50 }
    })
    supervisor.onStatus.add((status) => states.push(status.worker.state))
    supervisor.start()
  })

  afterAll(async () => {
    await supervisor.stop()
  })

  it('ends the running and the queued job with worker-crashed, restarts the worker, and a later job succeeds', async () => {
    const running = submit(supervisor, request({ maxNewTokens: 4096 }))
    const queued = submit(supervisor, request({ maxNewTokens: 4 }))
    await running.firstToken
    const pid = supervisor.pid
    expect(pid).toBeGreaterThan(0)
    process.kill(pid as number, 'SIGKILL')

    for (const job of [running, queued]) {
      const last = await job.finished
      expect(last.type).toBe('error')
      if (last.type === 'error') {
        expect(last.error.code).toBe('worker-crashed')
        expect(last.error.message).toContain('SIGKILL')
      }
    }

    const later = await submit(supervisor, request({ maxNewTokens: 4 })).finished
    expect(later).toMatchObject({ type: 'done', cancelled: false })
    const status = supervisor.status()
    expect(status.worker.restarts).toBe(1)
    expect(status.worker.pid).not.toBe(pid)
    expect(status.worker.lastExit).toContain('SIGKILL')
    expect(states).toContain('restarting')
  })
})
