/** Which installed model the settings point at, and what to recommend when there is none. */
import type {
  CatalogEntryInfo,
  InstalledModelInfo,
  SettingsPatch,
  VariantChoice
} from '../../../shared/api.ts'
import type { Variant } from '../../../shared/model.ts'
import { isGpuDevice } from './variant-notes.ts'

/** The settings name a model by catalog id or by hub repository (owner/name). */
export function findInstalled(
  installed: readonly InstalledModelInfo[],
  modelId: string
): InstalledModelInfo | undefined {
  const wanted = modelId.toLowerCase()
  return installed.find((m) => m.id.toLowerCase() === wanted || m.repo.toLowerCase() === wanted)
}

/** True when the settings' model is installed with at least one usable precision. */
export function hasUsableModel(installed: readonly InstalledModelInfo[], modelId: string): boolean {
  const model = findInstalled(installed, modelId)
  return model !== undefined && model.variants.length > 0
}

/** The download to suggest for a catalog entry on this device setting. */
export function recommendedVariant(entry: CatalogEntryInfo, device: string): VariantChoice {
  return isGpuDevice(device) ? entry.recommended.gpu : entry.recommended.cpu
}

/** A precision choice as one word for the settings (a per-session choice uses its decoder's precision). */
export function choiceVariant(choice: VariantChoice): Variant | null {
  if (typeof choice === 'string') return choice
  return choice.decoder_model_merged ?? null
}

/** A choice in a few words: its decoder's precision, then the sessions that differ ("q4, vision encoder uint8"). */
export function choiceLabel(choice: VariantChoice): string {
  if (typeof choice === 'string') return choice
  const main = choice.decoder_model_merged
  const others = Object.entries(choice)
    .filter(([session, variant]) => session !== 'decoder_model_merged' && variant !== main)
    .map(([session, variant]) => `${session.replace(/_/g, ' ')} ${variant}`)
  return [main ?? 'fp32', ...others].join(', ')
}

/** The precision to use from an installed model: the wanted one if present, else the first it has. */
export function usableVariant(model: InstalledModelInfo, wanted: Variant): Variant | null {
  if (model.variants.includes(wanted)) return wanted
  return model.variants[0] ?? null
}

/** The settings that make an installed model the one in use (with the downloaded precision when one was chosen). */
export function modelPatch(
  model: InstalledModelInfo,
  wanted: Variant,
  choice?: VariantChoice
): SettingsPatch {
  const picked = choice ? choiceVariant(choice) : null
  const variant = picked && model.variants.includes(picked) ? picked : usableVariant(model, wanted)
  return variant ? { modelId: model.id, variant } : { modelId: model.id }
}
