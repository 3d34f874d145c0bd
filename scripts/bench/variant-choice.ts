import { isVariant, SESSION_NAMES } from '../../src/engine/model-files.ts'
import type { SessionName, Variant, VariantChoice } from '../../src/engine/model-files.ts'

/**
 * `--variant q4` (every session) or `--variant vision_encoder=uint8,decoder_model_merged=q4` (per session, the
 * others fp32).
 */
export function parseVariantChoice(text: string): VariantChoice {
  if (!text.includes('=')) {
    if (!isVariant(text)) throw new Error(`unknown variant ${text}`)
    return text
  }
  const choice: Partial<Record<SessionName, Variant>> = {}
  for (const part of text.split(',')) {
    const [session, variant] = part.split('=')
    if (!(SESSION_NAMES as readonly string[]).includes(session) || !isVariant(variant)) {
      throw new Error(
        `bad per-session variant "${part}" (session=variant, sessions: ${SESSION_NAMES.join(', ')})`
      )
    }
    choice[session as SessionName] = variant
  }
  return choice
}
