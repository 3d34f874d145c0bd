import type { MainToWorker, WorkerToMain } from '../shared/contract.ts'
import { describeIssues, MainToWorkerSchema, salvageBatchJobIds, salvageJobId } from '../shared/contract.ts'
import type { ModelLoader } from './model.ts'
import type { JobStream } from './runner.ts'
import { JobRunner } from './runner.ts'

/**
 * What differs between the Electron utility process and a Node child process: how control messages arrive
 * and leave, and where a job's events go. Everything else (validation, the queue, the model) is shared.
 */
export interface WorkerTransport<Port = unknown> {
  /**
   * Installs the handler for messages from the main process; `ports` are the ports that came with it (a describe's
   * one, a describe-batch's one per job in order), where the transport has ports.
   */
  listen(handler: (data: unknown, ports: readonly Port[] | undefined) => void): void
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

  const reject = (data: unknown, ports: readonly Port[] | undefined, message: string): void => {
    const error = { code: 'invalid-message' as const, message }
    const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined
    // A malformed job is answered on its own stream (so its caller sees why), every job of a malformed batch on
    // its own; anything else, or a job whose id is already in use, is reported on the control channel without
    // touching any job.
    const jobIds =
      type === 'describe' ? [salvageJobId(data)] : type === 'describe-batch' ? salvageBatchJobIds(data) : []
    let answered = false
    jobIds.forEach((jobId, index) => {
      if (jobId === null || runner.isKnown(jobId)) return
      const stream = transport.jobStream(jobId, ports?.[index], () => undefined)
      stream.post({ type: 'error', error })
      stream.close()
      transport.send({ type: 'job-finished', jobId })
      answered = true
    })
    if (!answered) transport.send({ type: 'protocol-error', error })
  }

  const handle = (message: MainToWorker, data: unknown, ports: readonly Port[] | undefined): void => {
    switch (message.type) {
      case 'describe': {
        if (runner.isKnown(message.jobId)) {
          reject(data, ports, `A job with id ${message.jobId} is already running or queued.`)
          return
        }
        const jobId = message.jobId
        runner.submit(
          message,
          transport.jobStream(jobId, ports?.[0], () => runner.cancel(jobId))
        )
        return
      }
      case 'describe-batch': {
        const known = message.jobs.find((item) => runner.isKnown(item.jobId))
        if (known) {
          reject(data, ports, `A job with id ${known.jobId} is already running or queued.`)
          return
        }
        runner.submitBatch(
          message,
          message.jobs.map(({ jobId }, index) =>
            transport.jobStream(jobId, ports?.[index], () => runner.cancel(jobId))
          )
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

  transport.listen((data, ports) => {
    const parsed = MainToWorkerSchema.safeParse(data)
    if (!parsed.success) reject(data, ports, describeIssues(parsed.error, 'worker message'))
    else handle(parsed.data, data, ports)
  })
  transport.send({ type: 'ready', pid: process.pid })
  return runner
}
