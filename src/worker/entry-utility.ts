/**
 * The worker as an Electron utility process (utilityProcess.fork, serviceName "smolvlm-worker"). Control
 * messages arrive on process.parentPort; each describe brings a MessagePort (a describe-batch one per job) whose other end is in the
 * renderer, so tokens go straight to the page without passing through the main process.
 * Electron's types are not imported here (only src/main and src/preload may import electron): the few members
 * used are declared structurally below.
 */
import type { JobEvent, WorkerToMain } from '../shared/contract.ts'
import { loadEngineModel } from './engine-model.ts'
import { serveWorker } from './serve.ts'

interface JobPort {
  postMessage(message: JobEvent): void
  close(): void
  start(): void
  on(event: 'close', listener: () => void): void
}

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: JobPort[] }) => void): void
  postMessage(message: WorkerToMain): void
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
if (!parentPort) {
  process.stderr.write('The SmolVLM utility worker must be started with Electron utilityProcess.fork.\n')
  process.exit(2)
}

serveWorker<JobPort>(
  {
    listen: (handler) => parentPort.on('message', (event) => handler(event.data, event.ports)),
    send: (message) => parentPort.postMessage(message),
    jobStream: (jobId, port, onPeerGone) => {
      if (!port) {
        // No port came with the job: its events go over the control channel, like under Node.
        return {
          post: (event) => parentPort.postMessage({ type: 'job-event', jobId, event }),
          close: () => undefined
        }
      }
      let open = true
      // The renderer closing its end (window closed, job abandoned) cancels the job.
      port.on('close', () => {
        if (open) onPeerGone()
        open = false
      })
      port.start()
      return {
        post: (event) => {
          if (open) port.postMessage(event)
        },
        close: () => {
          open = false
          port.close()
        }
      }
    }
  },
  loadEngineModel
)
