import type { MainToWorker, WorkerToMain } from '../shared/contract.ts'
import { describeIssues, MainToWorkerSchema, salvageJobId } from '../shared/contract.ts'
import type { ModelLoader } from './model.ts'
import type { JobStream } from './runner.ts'
import { JobRunner } from './runner.ts'

/**
 * What differs between the Electron utility process and a Node child process: how control messages arrive
 * and leave, and where a job's events go. Everything else (validation, the queue, the model) is shared.
 */
export interface WorkerTransport<Port = unknown> {
  /** Installs the handler for messages from the main process; `port` is the job's port where there is one. */
  listen(handler: (data: unknown, port: Port | undefined) => void): void
  send(message: WorkerToMain): void
  /** The stream for one job; `onPeerGone` is called if the receiving end goes away first (cancels the job). */
  jobStream(jobId: string, port: Port | undefined, onPeerGone: () => void): JobStream
}

/** Runs the worker on a transport: validates every incoming message, then hands it to the job runner. */
export function serveWorker<Port>(transport: WorkerTransport<Port>, load: ModelLoader): JobRunner {
  const runner = new JobRunner({
    load,
    hooks: {
      status: (status, requestId) => transport.send({ type: 'status', requestId, status }),
      jobFinished: (jobId) => transport.send({ type: 'job-finished', jobId })
    }
  })

  const reject = (data: unknown, port: Port | undefined, message: string): void => {
    const error = { code: 'invalid-message' as const, message }
    const jobId = salvageJobId(data)
    const isDescribe =
      typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'describe'
    // A malformed job is answered on its own stream (so its caller sees why); anything else, or a job whose id
    // is already in use, is reported on the control channel without touching any job.
    if (jobId !== null && isDescribe && !runner.isKnown(jobId)) {
      const stream = transport.jobStream(jobId, port, () => undefined)
      stream.post({ type: 'error', error })
      stream.close()
      transport.send({ type: 'job-finished', jobId })
    } else transport.send({ type: 'protocol-error', error })
  }

  const handle = (message: MainToWorker, data: unknown, port: Port | undefined): void => {
    switch (message.type) {
      case 'describe': {
        if (runner.isKnown(message.jobId)) {
          reject(data, port, `A job with id ${message.jobId} is already running or queued.`)
          return
        }
        const jobId = message.jobId
        runner.submit(
          message,
          transport.jobStream(jobId, port, () => runner.cancel(jobId))
        )
        return
      }
      case 'cancel':
        runner.cancel(message.jobId)
        return
      case 'load':
        runner.load(message.model, message.requestId)
        return
      case 'unload':
        runner.unload(message.requestId)
        return
      case 'status':
        runner.reportStatus(message.requestId)
        return
    }
  }

  transport.listen((data, port) => {
    const parsed = MainToWorkerSchema.safeParse(data)
    if (!parsed.success) reject(data, port, describeIssues(parsed.error, 'worker message'))
    else handle(parsed.data, data, port)
  })
  transport.send({ type: 'ready', pid: process.pid })
  return runner
}
