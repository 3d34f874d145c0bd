import { z } from 'zod'
import { ErrorInfoSchema } from './errors.ts'
import { LIMITS } from './limits.ts'

/** The engine's precisions and devices (src/engine/model-files.ts, runtime.ts; kept equal by a contract test). */
export const VARIANTS = ['fp32', 'fp16', 'int8', 'uint8', 'quantized', 'q4', 'q4f16', 'bnb4'] as const
export const DEVICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const
export const SESSION_NAMES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const

export const VariantSchema = z.enum(VARIANTS)
export type Variant = z.infer<typeof VariantSchema>
/** One precision for every session, or one per session (e.g. fp32 vision encoder + q4 decoder). */
export const VariantChoiceSchema = z.union([
  VariantSchema,
  z.strictObject({
    vision_encoder: VariantSchema.optional(),
    embed_tokens: VariantSchema.optional(),
    decoder_model_merged: VariantSchema.optional()
  })
])
export type VariantChoice = z.infer<typeof VariantChoiceSchema>
export const DeviceSchema = z.enum(DEVICES)
export type Device = z.infer<typeof DeviceSchema>
export const ProviderSchema = z.enum(['cpu', 'webgpu', 'cuda', 'dml', 'coreml'])
export type Provider = z.infer<typeof ProviderSchema>

const boundedText = (max: number) => z.string().max(max)
export const AbsolutePathSchema = z
  .string()
  .min(1)
  .max(LIMITS.pathChars)
  .refine((p) => !p.includes('\0'), 'contains a NUL character')
  // POSIX "/…", Windows "C:\…" or "\\server\share\…": only absolute paths cross a boundary.
  .refine(
    (p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'),
    'is not an absolute path'
  )

/** Which model folder the worker should have loaded, and how. Sent with every job so a restarted worker needs no state. */
export const ModelSpecSchema = z.strictObject({
  /** A catalog id or another name shown to the user (not a path). */
  id: boundedText(LIMITS.modelRefChars).min(1),
  dir: AbsolutePathSchema,
  variant: VariantSchema,
  device: DeviceSchema,
  threads: z.int().min(1).max(256).optional()
})
export type ModelSpec = z.infer<typeof ModelSpecSchema>

export const MODEL_STATES = ['none', 'loading', 'ready', 'error', 'unloaded'] as const
export const ModelStateSchema = z.enum(MODEL_STATES)
export type ModelState = z.infer<typeof ModelStateSchema>

export const SessionStatusSchema = z.strictObject({
  session: z.enum(SESSION_NAMES),
  variant: VariantSchema,
  provider: ProviderSchema,
  fallbacks: z
    .array(z.strictObject({ provider: ProviderSchema, error: boundedText(LIMITS.errorMessageChars) }))
    .max(8)
})

/** What the worker reports about its model: the part of ModelStatus that lives in the worker. */
export const WorkerModelStatusSchema = z.strictObject({
  state: ModelStateSchema,
  modelId: boundedText(LIMITS.modelRefChars).nullable(),
  variant: VariantSchema.nullable(),
  device: DeviceSchema.nullable(),
  /** The provider running the decoder: what "device" means to a user. */
  provider: ProviderSchema.nullable(),
  sessions: z.array(SessionStatusSchema).max(3),
  loadMs: z.number().min(0).nullable(),
  /** Resident memory of the worker process (includes onnxruntime's native allocations). */
  memoryMb: z.number().min(0).nullable(),
  activeJobId: boundedText(LIMITS.idChars).nullable(),
  queuedJobs: z.int().min(0),
  error: ErrorInfoSchema.nullable(),
  /** Whether the loaded decoder can run several images in one run (the batch size setting's automatic choice). */
  canBatch: z.boolean()
})
export type WorkerModelStatus = z.infer<typeof WorkerModelStatusSchema>

export const WORKER_STATES = ['stopped', 'starting', 'running', 'restarting', 'failed'] as const
export const WorkerStateSchema = z.enum(WORKER_STATES)
export type WorkerState = z.infer<typeof WorkerStateSchema>

/** The model status the renderer sees: the worker's report plus the supervisor's view of the process. */
export const ModelStatusSchema = WorkerModelStatusSchema.extend({
  worker: z.strictObject({
    state: WorkerStateSchema,
    pid: z.int().nullable(),
    restarts: z.int().min(0),
    /** Why the last worker process ended, when it did not end on request. */
    lastExit: boundedText(200).nullable()
  })
})
export type ModelStatus = z.infer<typeof ModelStatusSchema>

export function emptyWorkerModelStatus(): WorkerModelStatus {
  return {
    state: 'none',
    modelId: null,
    variant: null,
    device: null,
    provider: null,
    sessions: [],
    loadMs: null,
    memoryMb: null,
    activeJobId: null,
    queuedJobs: 0,
    error: null,
    canBatch: false
  }
}
