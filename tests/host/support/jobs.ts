import { resolve } from 'node:path'
import type {
  JobEvent,
  ModelSpec,
  TerminalEvent,
  WorkerBatchRequest,
  WorkerDescribeRequest
} from '../../../src/shared/contract.ts'
import { isTerminal } from '../../../src/shared/contract.ts'
import type { WorkerSupervisor } from '../../../src/host/supervisor.ts'

export const REPO_ROOT = resolve(import.meta.dirname, '../../..')
export const FIXTURE_MODEL_DIR = resolve(REPO_ROOT, 'tests/fixtures/models/tiny-gqa')
export const FIXTURE_IMAGES = resolve(REPO_ROOT, 'tests/fixtures/images')
export const image = (name: string): string => resolve(FIXTURE_IMAGES, name)

/** The fixture model on the CPU with one thread (the test machines have two cores). */
export const FIXTURE_MODEL: ModelSpec = {
  id: 'tiny-gqa',
  dir: FIXTURE_MODEL_DIR,
  variant: 'fp32',
  device: 'cpu',
  threads: 1
}

export function request(overrides: Partial<WorkerDescribeRequest> = {}): WorkerDescribeRequest {
  return {
    images: [image('square.png')],
    prompt: 'Describe this image.',
    maxNewTokens: 8,
    sampling: { kind: 'greedy' },
    doImageSplitting: false,
    ...overrides
  }
}

/** A job's events as they arrive, and promises for its first token and its last event. */
export interface RecordedJob {
  readonly jobId: string
  readonly events: JobEvent[]
  readonly firstToken: Promise<void>
  readonly finished: Promise<TerminalEvent>
}

export function recorder(
  jobId: string,
  log?: string[]
): { job: RecordedJob; emit: (event: JobEvent) => void } {
  const events: JobEvent[] = []
  let onToken: () => void = () => undefined
  let onFinish: (event: TerminalEvent) => void = () => undefined
  const firstToken = new Promise<void>((resolve) => (onToken = resolve))
  const finished = new Promise<TerminalEvent>((resolve) => (onFinish = resolve))
  const emit = (event: JobEvent): void => {
    events.push(event)
    log?.push(`${jobId}:${event.type}`)
    if (event.type === 'token') onToken()
    if (isTerminal(event)) {
      onToken()
      onFinish(event)
    }
  }
  return { job: { jobId, events, firstToken, finished }, emit }
}

let counter = 0
export function submit(
  supervisor: WorkerSupervisor,
  body: WorkerDescribeRequest,
  options: { model?: ModelSpec; log?: string[]; jobId?: string } = {}
): RecordedJob {
  const jobId = options.jobId ?? `job-${process.pid}-${++counter}`
  const { job, emit } = recorder(jobId, options.log)
  supervisor.submit(
    { type: 'describe', jobId, model: options.model ?? FIXTURE_MODEL, request: body },
    { emit }
  )
  return job
}

export function tokenText(events: readonly JobEvent[]): string {
  return events.map((event) => (event.type === 'token' ? event.text : '')).join('')
}

/** Submits a describe-batch of one job per image; the jobs in image order. */
export function submitBatch(
  supervisor: WorkerSupervisor,
  images: readonly string[],
  body: WorkerBatchRequest,
  options: { model?: ModelSpec; log?: string[] } = {}
): RecordedJob[] {
  const recorded = images.map(() => recorder(`job-${process.pid}-${++counter}`, options.log))
  supervisor.submitBatch(
    {
      type: 'describe-batch',
      model: options.model ?? FIXTURE_MODEL,
      jobs: recorded.map(({ job }, index) => ({ jobId: job.jobId, image: images[index]! })),
      request: body
    },
    recorded.map(({ emit }) => ({ emit }))
  )
  return recorded.map(({ job }) => job)
}
