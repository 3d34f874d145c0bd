/**
 * The worker as a Node child process (child_process.fork with an IPC channel): used by the tests, the browser
 * test bridge and command-line servers. Job events travel on the IPC channel as job-event messages.
 * Run from source with `node --import tsx src/worker/entry-node.ts`, or built as out/main/worker-node.js.
 */
import type { WorkerToMain } from '../shared/contract.ts'
import { loadEngineModel } from './engine-model.ts'
import { serveWorker } from './serve.ts'

if (!process.send) {
  process.stderr.write('The SmolVLM worker must be started with an IPC channel (child_process.fork).\n')
  process.exit(2)
}

const send = (message: WorkerToMain): void => {
  if (process.connected) process.send?.(message)
}

const runner = serveWorker<never>(
  {
    listen: (handler) => process.on('message', (data) => handler(data, undefined)),
    send,
    jobStream: (jobId) => ({
      post: (event) => send({ type: 'job-event', jobId, event }),
      close: () => undefined
    })
  },
  loadEngineModel
)

// Without its parent the worker has nobody to answer: release the model and go.
process.on('disconnect', () => {
  void runner.dispose().finally(() => process.exit(0))
})
