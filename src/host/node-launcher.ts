import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { MainToWorker } from '../shared/contract.ts'
import type { WorkerExit, WorkerLauncher, WorkerProcess } from './worker-process.ts'

export interface NodeLauncherOptions {
  /** The worker's Node entry: out/main/worker-node.js, or src/worker/entry-node.ts with execArgv ['--import', 'tsx']. */
  readonly entry: string
  readonly execArgv?: readonly string[]
  readonly env?: NodeJS.ProcessEnv
  /** Where the worker's stdout/stderr go (default: this process's). */
  readonly stdio?: 'inherit' | 'ignore' | 'pipe'
  readonly onStderr?: (chunk: string) => void
}

/** The worker's Node entry in this source tree, run through tsx (tests, the browser test bridge, dev tools). */
export function sourceWorkerEntry(): NodeLauncherOptions {
  return {
    entry: fileURLToPath(new URL('../worker/entry-node.ts', import.meta.url)),
    execArgv: ['--import', 'tsx']
  }
}

/** Starts the worker with child_process.fork; messages travel on the IPC channel (JSON). */
export function nodeWorkerLauncher(options: NodeLauncherOptions): WorkerLauncher {
  return {
    launch(): WorkerProcess {
      const stdio = options.stdio ?? 'inherit'
      const child = fork(options.entry, [], {
        execArgv: [...(options.execArgv ?? [])],
        env: { ...(options.env ?? process.env), SMOLVLM_WORKER: 'node' },
        stdio: [stdio === 'pipe' ? 'pipe' : 'ignore', stdio, stdio, 'ipc'],
        serialization: 'json'
      })
      if (options.onStderr)
        child.stderr?.on('data', (chunk: Buffer) => options.onStderr?.(chunk.toString('utf8')))
      const exitListeners: ((exit: WorkerExit) => void)[] = []
      let exited = false
      const reportExit = (exit: WorkerExit): void => {
        if (exited) return
        exited = true
        for (const listener of exitListeners) listener(exit)
      }
      child.on('exit', (code, signal) => {
        const reason = signal ? 'killed' : code === 0 ? 'clean-exit' : 'crashed'
        reportExit({ code, signal, reason })
      })
      child.on('error', (error) => {
        // Spawn failures come only as 'error'; other errors (a failed send) are followed by 'exit' if fatal.
        if (child.pid === undefined)
          reportExit({ code: null, signal: null, reason: `launch-failed: ${error.message}` })
      })
      return {
        get pid() {
          return child.pid
        },
        send(message: MainToWorker) {
          if (child.connected) child.send(message, (error) => void error)
        },
        kill() {
          child.kill('SIGKILL')
        },
        onMessage(listener) {
          child.on('message', listener)
        },
        onExit(listener) {
          exitListeners.push(listener)
        }
      }
    }
  }
}
