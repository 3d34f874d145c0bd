import { z } from 'zod'
import { DescribeOptionsSchema, PromptSchema, SamplingSchema } from './jobs.ts'
import { DEFAULT_KEYWORD_OPTIONS, KeywordOptionsSchema } from './keywords.ts'
import { LIMITS } from './limits.ts'
import { DeviceSchema, VariantSchema } from './model.ts'
import { SidecarPolicySchema, TriggerWordSchema } from './results.ts'
import { ModelRefSchema } from './store.ts'

export const DEFAULT_PROMPT = 'Can you describe this image?'

const shape = {
  /** A catalog id (smolvlm-256m) or hub repository (owner/name) of the model store; never a path. */
  modelId: ModelRefSchema,
  variant: VariantSchema,
  device: DeviceSchema,
  maxNewTokens: DescribeOptionsSchema.shape.maxNewTokens.unwrap(),
  sampling: SamplingSchema,
  /** null: no penalty (the reference's default). */
  repetitionPenalty: z.number().gt(0).max(10).nullable(),
  /** Fast mode: no tiling, one global frame per image. */
  fastMode: z.boolean(),
  /** null: the model's own resize target. */
  longestEdge: z.int().min(16).max(8192).nullable(),
  /** Images decoded together; null: automatic (autoBatchSize, from the loaded model). */
  batchSize: z.int().min(1).max(LIMITS.batchSize).nullable(),
  prompt: PromptSchema,
  promptPresetId: z.string().max(LIMITS.idChars).nullable(),
  sidecarPolicy: SidecarPolicySchema,
  triggerWord: TriggerWordSchema,
  theme: z.enum(['system', 'light', 'dark']),
  /** Keep every finished caption in the caption library (searchable; it never leaves this machine). */
  keepHistory: z.boolean(),
  /** Keyword mode (the keyword preset): how its answer becomes a keyword list (src/shared/keywords.ts). */
  keywords: KeywordOptionsSchema
}

export const SettingsSchema = z.strictObject(shape)
export type Settings = z.infer<typeof SettingsSchema>

/** A change to some settings; omitted keys stay as they are. */
export const SettingsPatchSchema = SettingsSchema.partial()
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>

export const DEFAULT_SETTINGS: Settings = {
  modelId: 'smolvlm-256m',
  variant: 'fp32',
  device: 'auto',
  maxNewTokens: 256,
  sampling: { kind: 'greedy' },
  repetitionPenalty: null,
  fastMode: false,
  longestEdge: null,
  batchSize: null,
  prompt: DEFAULT_PROMPT,
  promptPresetId: null,
  sidecarPolicy: 'skip',
  triggerWord: '',
  theme: 'system',
  keepHistory: true,
  keywords: DEFAULT_KEYWORD_OPTIONS
}

/**
 * Settings from a file that may be old, hand-edited or damaged: every valid field is kept, every missing or
 * invalid one takes its default (reported, so the caller can log it), unknown fields are dropped.
 */
export function recoverSettings(value: unknown): { settings: Settings; repaired: string[] } {
  const source =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  const settings: Record<string, unknown> = {}
  const repaired: string[] = []
  for (const key of Object.keys(shape) as (keyof Settings)[]) {
    const parsed = shape[key].safeParse(source[key])
    if (parsed.success) settings[key] = parsed.data
    else {
      settings[key] = DEFAULT_SETTINGS[key]
      if (Object.hasOwn(source, key)) repaired.push(key)
    }
  }
  for (const key of Object.keys(source)) if (!Object.hasOwn(shape, key)) repaired.push(key)
  return { settings: SettingsSchema.parse(settings), repaired }
}

/**
 * What the automatic batch size means for a loaded model: 4 where its decoder can batch on the CPU, else 1.
 * Measured with the CLI's folder benchmark (2-core CPU, fp32, 256M): fast mode 25.3 images/min one at a time, 32.4
 * in batches of 4; with tiling 3.2 both ways (the vision encoder dominates). Other devices are not measured yet.
 */
export const AUTO_BATCH_SIZE = 4
export function autoBatchSize(model: { canBatch: boolean; provider: string | null } | null): number {
  return model?.canBatch === true && model.provider === 'cpu' ? AUTO_BATCH_SIZE : 1
}
