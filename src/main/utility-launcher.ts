import { app, utilityProcess } from 'electron'
import type { MessagePortMain } from 'electron'
import type { WorkerExit, WorkerLauncher } from '../host/worker-process.ts'

export const WORKER_SERVICE_NAME = 'smolvlm-worker'

/**
 * Starts the worker as an Electron utility process (only after app ready). Job ports are transferred with the
 * describe message, so the worker writes events straight to the renderer. Why a process ended comes from
 * app 'child-process-gone' (crashed, oom, killed, …), which Electron emits around the child's 'exit'.
 */
export function utilityWorkerLauncher(modulePath: string): WorkerLauncher<MessagePortMain> {
  return {
    launch() {
      const child = utilityProcess.fork(modulePath, [], {
        serviceName: WORKER_SERVICE_NAME,
        stdio: 'inherit',
        env: { ...process.env, SMOLVLM_WORKER: 'utility' }
      })
      let goneReason: string | undefined
      const onGone = (_event: Electron.Event, details: Electron.Details): void => {
        if (details.type === 'Utility' && details.serviceName === WORKER_SERVICE_NAME)
          goneReason = details.reason
      }
      app.on('child-process-gone', onGone)
      const exitListeners: ((exit: WorkerExit) => void)[] = []
      child.once('exit', (code) => {
        // Give child-process-gone (which may come just after) a moment to say why.
        setTimeout(() => {
          app.off('child-process-gone', onGone)
          const reason = goneReason ?? (code === 0 ? 'clean-exit' : 'crashed')
          for (const listener of exitListeners) listener({ code, signal: null, reason })
        }, 50)
      })
      return {
        get pid() {
          return child.pid
        },
        send(message, ports) {
          child.postMessage(message, ports ? [...ports] : [])
        },
        kill() {
          child.kill()
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
