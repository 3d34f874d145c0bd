import { z } from 'zod'
import { ErrorInfoSchema } from './errors.ts'
import {
  batchJobsSchema,
  ChatMessageSchema,
  countImageParts,
  JobEventSchema,
  JobIdSchema,
  PromptSchema,
  SamplingSchema
} from './jobs.ts'
import { LIMITS } from './limits.ts'
import { AbsolutePathSchema, ModelSpecSchema, WorkerModelStatusSchema } from './model.ts'

/**
 * Main ↔ worker messages. In Electron they travel on the utility process's parentPort and each describe
 * carries a MessagePort for its events (worker → renderer directly); under plain Node they travel on the
 * child_process IPC channel and events come back as job-event messages naming their job.
 */

/** Generation and preprocessing options as the worker gets them: every one resolved by the host. */
const generationShape = {
  maxNewTokens: z.int().min(1).max(LIMITS.maxNewTokens),
  sampling: SamplingSchema,
  repetitionPenalty: z.number().gt(0).max(10).optional(),
  doImageSplitting: z.boolean().optional(),
  longestEdge: z.int().min(16).max(8192).optional(),
  maxPixels: z.int().min(1).max(1_000_000_000).optional()
}

/** A describe job as the worker runs it: paths the host has already checked, every option resolved. */
export const WorkerDescribeRequestSchema = z
  .strictObject({
    images: z.array(AbsolutePathSchema).max(LIMITS.imagesPerJob),
    prompt: PromptSchema.optional(),
    messages: z.array(ChatMessageSchema).min(1).max(LIMITS.messages).optional(),
    ...generationShape,
    /** Continue from the previous job's cache where this prompt repeats it (follow-up turns). */
    reusePrefix: z.boolean().optional()
  })
  .superRefine((value, ctx) => {
    if (value.messages && countImageParts(value.messages) !== value.images.length) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'image parts and images differ in number' })
    }
  })
export type WorkerDescribeRequest = z.infer<typeof WorkerDescribeRequestSchema>

/** What the images of a batch share: one prompt (no chat, no cache reuse) and the resolved options. */
export const WorkerBatchRequestSchema = z.strictObject({ prompt: PromptSchema, ...generationShape })
export type WorkerBatchRequest = z.infer<typeof WorkerBatchRequestSchema>

const RequestIdSchema = z.string().min(1).max(LIMITS.idChars)

export const MainToWorkerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('describe'),
    jobId: JobIdSchema,
    model: ModelSpecSchema,
    request: WorkerDescribeRequestSchema
  }),
  /**
   * Several one-image jobs decoded together (describeBatch). Each keeps its own id, stream, cancel and
   * job-finished; in Electron the message carries one port per job, in the order of `jobs`.
   */
  z.strictObject({
    type: z.literal('describe-batch'),
    model: ModelSpecSchema,
    jobs: batchJobsSchema(AbsolutePathSchema),
    request: WorkerBatchRequestSchema
  }),
  z.strictObject({ type: z.literal('cancel'), jobId: JobIdSchema }),
  z.strictObject({ type: z.literal('load'), requestId: RequestIdSchema, model: ModelSpecSchema }),
  z.strictObject({ type: z.literal('unload'), requestId: RequestIdSchema }),
  z.strictObject({ type: z.literal('status'), requestId: RequestIdSchema })
])
export type MainToWorker = z.infer<typeof MainToWorkerSchema>
export type WorkerDescribeMessage = Extract<MainToWorker, { type: 'describe' }>
export type WorkerBatchMessage = Extract<MainToWorker, { type: 'describe-batch' }>

export const WorkerToMainSchema = z.discriminatedUnion('type', [
  /** Sent once the worker listens; nothing is sent to it before. */
  z.strictObject({ type: z.literal('ready'), pid: z.int() }),
  /** A status report: the answer to load / unload / status (requestId), or a change the worker announces (null). */
  z.strictObject({
    type: z.literal('status'),
    requestId: RequestIdSchema.nullable(),
    status: WorkerModelStatusSchema
  }),
  /** A job's event, on transports without per-job ports. */
  z.strictObject({ type: z.literal('job-event'), jobId: JobIdSchema, event: JobEventSchema }),
  /** The job's last event has been sent (on its port or as a job-event). */
  z.strictObject({ type: z.literal('job-finished'), jobId: JobIdSchema }),
  /** A message the worker could not act on and could not pin on a job. */
  z.strictObject({ type: z.literal('protocol-error'), error: ErrorInfoSchema })
])
export type WorkerToMain = z.infer<typeof WorkerToMainSchema>

/** The job id of a message that failed validation, when it has a usable one (so the rejection reaches its job). */
export function salvageJobId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !('jobId' in value)) return null
  const parsed = JobIdSchema.safeParse((value as { jobId: unknown }).jobId)
  return parsed.success ? parsed.data : null
}

/** The usable job ids of a malformed describe-batch, by position (null where one is unusable or repeated). */
export function salvageBatchJobIds(value: unknown): (string | null)[] {
  if (typeof value !== 'object' || value === null || !('jobs' in value)) return []
  const jobs = (value as { jobs: unknown }).jobs
  if (!Array.isArray(jobs)) return []
  const seen = new Set<string>()
  return jobs.slice(0, LIMITS.batchSize).map((job) => {
    const id = salvageJobId(job)
    if (id === null || seen.has(id)) return null
    seen.add(id)
    return id
  })
}
