import { z } from 'zod'
import { ErrorInfoSchema } from './errors.ts'
import { ImageIdSchema } from './images.ts'
import { LIMITS } from './limits.ts'

export const JobIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.idChars)
  .regex(/^[A-Za-z0-9_-]+$/, 'may only contain letters, digits, "-" and "_"')
export type JobId = z.infer<typeof JobIdSchema>

export const PromptSchema = z.string().max(LIMITS.promptChars)

export const SamplingSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('greedy') }),
  z.strictObject({
    kind: z.literal('sample'),
    temperature: z.number().gt(0).max(10),
    topK: z.int().min(1).max(100_000).optional(),
    topP: z.number().gt(0).max(1).optional(),
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional()
  })
])
export type Sampling = z.infer<typeof SamplingSchema>

export const ChatContentSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: PromptSchema }),
  z.strictObject({ type: z.literal('image') })
])
export const ChatMessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.array(ChatContentSchema).min(1).max(LIMITS.partsPerMessage)
})
export type ChatMessage = z.infer<typeof ChatMessageSchema>

export function countImageParts(messages: readonly ChatMessage[]): number {
  let count = 0
  for (const message of messages) for (const part of message.content) if (part.type === 'image') count++
  return count
}

/** Generation and preprocessing choices a request may override (the rest come from the settings). */
export const DescribeOptionsSchema = z.strictObject({
  maxNewTokens: z.int().min(1).max(LIMITS.maxNewTokens).optional(),
  sampling: SamplingSchema.optional(),
  repetitionPenalty: z.number().gt(0).max(10).optional(),
  /** false = fast mode: one global tile per image. */
  doImageSplitting: z.boolean().optional(),
  longestEdge: z.int().min(16).max(8192).optional()
})
export type DescribeOptions = z.infer<typeof DescribeOptionsSchema>

/**
 * Messages' image parts take `images` in order; without messages, one user turn holds every image followed by
 * `prompt` (or the prompt from the settings).
 */
function imagesMatchMessages(
  value: {
    images: readonly unknown[]
    messages?: readonly ChatMessage[] | undefined
    prompt?: string | undefined
  },
  ctx: z.RefinementCtx
): void {
  if (value.messages === undefined) return
  if (value.prompt !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give either a prompt or messages, not both' })
  }
  const parts = countImageParts(value.messages)
  if (parts !== value.images.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['messages'],
      message: `the messages have ${parts} image parts but ${value.images.length} images were given`
    })
  }
}

/** What the renderer asks for: images by the ids the host handed out, never by path. */
export const DescribeRequestSchema = z
  .strictObject({
    images: z.array(ImageIdSchema).max(LIMITS.imagesPerJob),
    prompt: PromptSchema.optional(),
    messages: z.array(ChatMessageSchema).min(1).max(LIMITS.messages).optional(),
    options: DescribeOptionsSchema.optional()
  })
  .superRefine(imagesMatchMessages)
export type DescribeRequest = z.infer<typeof DescribeRequestSchema>

export const DescribeCallSchema = z.strictObject({ jobId: JobIdSchema, request: DescribeRequestSchema })
export type DescribeCall = z.infer<typeof DescribeCallSchema>

/** Items of a batch, each its own job (own events, own cancel); ids must differ. */
export function batchJobsSchema<Image extends z.ZodType>(image: Image) {
  return z
    .array(z.strictObject({ jobId: JobIdSchema, image }))
    .min(1)
    .max(LIMITS.batchSize)
    .superRefine((jobs, ctx) => {
      const seen = new Set<string>()
      jobs.forEach((job, index) => {
        if (seen.has(job.jobId))
          ctx.addIssue({ code: 'custom', path: [index, 'jobId'], message: 'is used twice in the batch' })
        seen.add(job.jobId)
      })
    })
}

/**
 * Several images captioned with one prompt and the same options, decoded together (the batchSize setting).
 * Each image is a job of its own, with its own events and cancel, exactly like a one-image describe.
 */
export const DescribeBatchCallSchema = z.strictObject({
  jobs: batchJobsSchema(ImageIdSchema),
  prompt: PromptSchema.optional(),
  options: DescribeOptionsSchema.optional()
})
export type DescribeBatchCall = z.infer<typeof DescribeBatchCallSchema>

export const TileGridSchema = z.strictObject({ rows: z.int().min(0).max(64), cols: z.int().min(0).max(64) })

const ms = z.number().min(0)
export const DescribeStatsSchema = z.strictObject({
  inputTokens: z.int().min(0),
  tiles: z.int().min(0),
  generatedTokens: z.int().min(0),
  /** Prompt tokens continued from the previous job's cache instead of being prefilled (follow-ups). */
  reusedTokens: z.int().min(0),
  preprocessMs: ms,
  visionMs: ms,
  prefillMs: ms,
  ttftMs: ms,
  decodeMs: ms,
  tokensPerSecond: z.number().min(0),
  totalMs: ms,
  ortMs: ms
})
export type DescribeStats = z.infer<typeof DescribeStatsSchema>

/** An image of the job described from a RAW file's embedded JPEG preview: its index and the size described. */
export const PreviewUsedSchema = z.strictObject({
  image: z
    .int()
    .min(0)
    .max(LIMITS.imagesPerJob - 1),
  width: z.int().min(1).max(65_535),
  height: z.int().min(1).max(65_535)
})
export type PreviewUsed = z.infer<typeof PreviewUsedSchema>

export const StartedEventSchema = z.strictObject({
  type: z.literal('started'),
  inputTokens: z.int().min(0),
  tiles: z.int().min(0),
  grids: z.array(TileGridSchema).max(LIMITS.imagesPerJob),
  /** Only when some image is a RAW file: the card says its caption comes from the embedded preview. */
  previews: z.array(PreviewUsedSchema).max(LIMITS.imagesPerJob).optional()
})
export const ProgressEventSchema = z.strictObject({
  type: z.literal('progress'),
  stage: z.enum(['preprocess', 'vision', 'prefill']),
  ms,
  /** Frames encoded so far (vision), out of total. */
  done: z.int().min(0).max(LIMITS.maxFrames).optional(),
  total: z.int().min(0).max(LIMITS.maxFrames).optional()
})
/** A text delta; id is the generated token, or null for text held back until the end (an unfinished character). */
export const TokenEventSchema = z.strictObject({
  type: z.literal('token'),
  id: z.int().min(0).nullable(),
  text: z.string().max(LIMITS.tokenChars)
})
export const DoneEventSchema = z.strictObject({
  type: z.literal('done'),
  text: z.string().max(LIMITS.captionChars),
  tokenIds: z.array(z.int().min(0)).max(LIMITS.tokenIds),
  stoppedBy: z.enum(['eos', 'max-tokens', 'cancelled']),
  cancelled: z.boolean(),
  stats: DescribeStatsSchema
})
/** A job that could not run or failed part-way; like done, it is the job's last event. */
export const ErrorEventSchema = z.strictObject({ type: z.literal('error'), error: ErrorInfoSchema })

export const JobEventSchema = z.discriminatedUnion('type', [
  StartedEventSchema,
  ProgressEventSchema,
  TokenEventSchema,
  DoneEventSchema,
  ErrorEventSchema
])
export type JobEvent = z.infer<typeof JobEventSchema>
export type DoneEvent = z.infer<typeof DoneEventSchema>
export type ErrorEvent = z.infer<typeof ErrorEventSchema>
export type TerminalEvent = DoneEvent | ErrorEvent

export function isTerminal(event: JobEvent): event is TerminalEvent {
  return event.type === 'done' || event.type === 'error'
}

export const ZERO_STATS: DescribeStats = {
  inputTokens: 0,
  tiles: 0,
  generatedTokens: 0,
  reusedTokens: 0,
  preprocessMs: 0,
  visionMs: 0,
  prefillMs: 0,
  ttftMs: 0,
  decodeMs: 0,
  tokensPerSecond: 0,
  totalMs: 0,
  ortMs: 0
}

/** The done event of a job cancelled before it produced anything (e.g. removed from the queue). */
export function cancelledBeforeStart(): DoneEvent {
  return { type: 'done', text: '', tokenIds: [], stoppedBy: 'cancelled', cancelled: true, stats: ZERO_STATS }
}

/** The stream of one job: the job's own events, in order, ending with exactly one done or error. */
export const JobEventEnvelopeSchema = z.strictObject({ jobId: JobIdSchema, event: JobEventSchema })
export type JobEventEnvelope = z.infer<typeof JobEventEnvelopeSchema>
