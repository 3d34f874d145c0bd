import type { JobEvent, WorkerDescribeRequest } from '../../../src/shared/contract.ts'
import type { WorkerExit, WorkerLauncher, WorkerProcess } from '../../../src/host/worker-process.ts'
import type { DescribableModel, ModelLoader } from '../../../src/worker/model.ts'
import { serveWorker } from '../../../src/worker/serve.ts'
import { ZERO_STATS } from '../../../src/shared/contract.ts'

/** A stand-in model: "word0 word1 …" one token per macrotask, honouring the abort signal like the engine. */
export function fakeModel(options: { failOn?: string } = {}): DescribableModel {
  return {
    info: { provider: 'cpu', loadMs: 1, sessions: [] },
    async *describe(request: WorkerDescribeRequest, { signal }) {
      if (options.failOn && request.images.some((path) => path.includes(options.failOn as string))) {
        throw Object.assign(new Error(`${options.failOn} could not be read`), { code: 'bad-image' })
      }
      yield { type: 'started', inputTokens: 3, tiles: request.images.length, grids: [] }
      let text = ''
      const ids: number[] = []
      for (let i = 0; i < request.maxNewTokens; i++) {
        await new Promise((resolve) => setImmediate(resolve))
        if (signal.aborted) break
        const piece = `${i === 0 ? '' : ' '}word${i}`
        text += piece
        ids.push(i)
        yield { type: 'token', id: i, text: piece }
      }
      const cancelled = signal.aborted
      yield {
        type: 'done',
        text,
        tokenIds: ids,
        stoppedBy: cancelled ? 'cancelled' : 'max-tokens',
        cancelled,
        stats: { ...ZERO_STATS, generatedTokens: ids.length }
      } satisfies JobEvent
    },
    dispose: async () => undefined
  }
}

/**
 * Runs the real worker code (serveWorker, JobRunner) in this process behind a WorkerProcess, with messages
 * cloned and delivered asynchronously as a real channel would. kill() makes it "die" like SIGKILL.
 */
export function inProcessLauncher(
  load: ModelLoader = async () => fakeModel()
): WorkerLauncher & { launched: WorkerProcess[] } {
  const launched: WorkerProcess[] = []
  let nextPid = 10_000
  return {
    launched,
    launch() {
      const pid = nextPid++
      let dead = false
      let handler: ((data: unknown, port: undefined) => void) | undefined
      const messageListeners: ((data: unknown) => void)[] = []
      const exitListeners: ((exit: WorkerExit) => void)[] = []
      const toMain = (message: unknown) =>
        setImmediate(() => {
          if (!dead) for (const listener of messageListeners) listener(structuredClone(message))
        })
      const runner = serveWorker<never>(
        {
          listen: (h) => (handler = h),
          send: toMain,
          jobStream: (jobId) => ({
            post: (event) => toMain({ type: 'job-event', jobId, event }),
            close: () => undefined
          })
        },
        load
      )
      const process: WorkerProcess = {
        pid,
        send(message) {
          setImmediate(() => {
            if (!dead) handler?.(structuredClone(message), undefined)
          })
        },
        kill() {
          if (dead) return
          dead = true
          void runner.dispose()
          setImmediate(() =>
            exitListeners.forEach((l) => l({ code: null, signal: 'SIGKILL', reason: 'killed' }))
          )
        },
        onMessage: (listener) => messageListeners.push(listener),
        onExit: (listener) => exitListeners.push(listener)
      }
      launched.push(process)
      return process
    }
  }
}
