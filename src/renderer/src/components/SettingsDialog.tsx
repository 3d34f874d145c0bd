/**
 * Settings, saved as they change (settings.update): the model and its precision, the device (with the provider
 * that really runs and any fallback), generation (length, sampling), speed (fast mode, resize, batch size) and
 * the theme.
 */
import { useId } from 'react'
import type { ModelStatus, Settings, SettingsPatch } from '../../../shared/api.ts'
import { LIMITS } from '../../../shared/limits.ts'
import type { Variant } from '../../../shared/model.ts'
import { autoBatchSize } from '../../../shared/settings.ts'
import { DEVICES, VARIANTS } from '../../../shared/model.ts'
import type { ModelStoreHandle } from '../hooks/useModelStore.ts'
import { findInstalled } from '../state/models.ts'
import { DEVICE_LABELS, PROVIDER_LABELS, VARIANT_NOTES } from '../state/variant-notes.ts'
import { Dialog } from './Dialog.tsx'
import { KeywordSettings } from './KeywordSettings.tsx'
import { NumberField } from './NumberField.tsx'
import { imagesProvider, modelStateText, providerFallbacks, SPLIT_PLACEMENT_NOTE } from './StatusBar.tsx'

export interface SettingsDialogProps {
  readonly settings: Settings
  readonly update: (patch: SettingsPatch) => void
  readonly status: ModelStatus | null
  readonly store: ModelStoreHandle
  readonly onUnload: () => void
  readonly onOpenModels: () => void
  readonly onClose: () => void
  /** Forgets every caption kept in the caption library. */
  readonly onClearLibrary?: () => void
}

function Select<T extends string>({
  label,
  value,
  options,
  onChange,
  hint
}: {
  label: string
  value: T
  options: readonly { value: T; label: string }[]
  onChange: (value: T) => void
  hint?: React.ReactNode
}): React.JSX.Element {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} className="input" value={value} onChange={(event) => onChange(event.target.value as T)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {hint ? <div className="field__hint">{hint}</div> : null}
    </div>
  )
}

function ModelSection({
  settings,
  update,
  status,
  store,
  onUnload,
  onOpenModels
}: SettingsDialogProps): React.JSX.Element {
  const installed = findInstalled(store.installed, settings.modelId)
  const models = [
    ...store.installed.map((m) => ({ value: m.id, label: `${m.id} (downloaded)` })),
    ...store.catalog
      .filter((entry) => !findInstalled(store.installed, entry.id))
      .map((entry) => ({ value: entry.id, label: `${entry.title} (not downloaded)` }))
  ]
  if (!models.some((m) => m.value === settings.modelId))
    models.unshift({ value: settings.modelId, label: settings.modelId })
  const variants = VARIANTS.map((variant) => ({
    value: variant,
    label: installed?.variants.includes(variant) ? `${variant} (downloaded)` : variant
  }))
  const missingVariant =
    store.available && installed !== undefined && !installed.variants.includes(settings.variant)
  const fallbacks = providerFallbacks(status)
  const images = imagesProvider(status)
  return (
    <fieldset className="settings__section">
      <legend>Model</legend>
      {store.available ? (
        <Select
          label="Model"
          value={settings.modelId}
          options={models}
          onChange={(modelId) => {
            const model = findInstalled(store.installed, modelId)
            const patch: SettingsPatch = { modelId }
            // Switch to a precision the chosen model has, so the next image does not fail.
            if (model && model.variants.length > 0 && !model.variants.includes(settings.variant))
              patch.variant = model.variants[0]
            update(patch)
          }}
          hint={
            <>
              {installed ? null : 'This model is not downloaded yet. '}
              <button type="button" className="link-button" onClick={onOpenModels}>
                Open the model manager
              </button>
            </>
          }
        />
      ) : (
        <p className="field__hint">
          Model: <strong>{status?.modelId ?? settings.modelId}</strong>. {store.unavailableReason}
        </p>
      )}
      <Select<Variant>
        label="Precision"
        value={settings.variant}
        options={variants}
        onChange={(variant) => update({ variant })}
        hint={
          <>
            {VARIANT_NOTES[settings.variant]}
            {missingVariant ? (
              <span className="field__warn">
                {' '}
                Not downloaded for this model: download it in the model manager.
              </span>
            ) : null}
          </>
        }
      />
      <Select
        label="Device"
        value={settings.device}
        options={DEVICES.map((device) => ({ value: device, label: DEVICE_LABELS[device] ?? device }))}
        onChange={(device) => update({ device })}
        hint={
          <span data-testid="settings-provider">
            {status?.provider ? (
              <>
                Running on <strong>{PROVIDER_LABELS[status.provider] ?? status.provider}</strong>
                {images ? (
                  <>
                    , images on <strong>{PROVIDER_LABELS[images] ?? images}</strong>. {SPLIT_PLACEMENT_NOTE}
                  </>
                ) : fallbacks.length > 0 ? (
                  '.'
                ) : (
                  ' now.'
                )}
              </>
            ) : (
              <>The model is {modelStateText(status)}.</>
            )}
            {fallbacks.map((f) => (
              <span key={f.provider} className="field__warn">
                {' '}
                {PROVIDER_LABELS[f.provider] ?? f.provider} could not be used: {f.error}
              </span>
            ))}
          </span>
        }
      />
      <div className="settings__row">
        <button
          type="button"
          className="button"
          onClick={onUnload}
          disabled={status?.state !== 'ready' && status?.state !== 'error'}
        >
          Unload the model
        </button>
        <span className="field__hint">
          Frees its memory{status?.memoryMb != null ? ` (${Math.round(status.memoryMb)} MB now)` : ''}; it
          loads again with the next image.
        </span>
      </div>
    </fieldset>
  )
}

export function SettingsDialog(props: SettingsDialogProps): React.JSX.Element {
  const { settings, update } = props
  const sampling = settings.sampling
  const sample = sampling.kind === 'sample' ? sampling : null
  /** Sets an optional sampling limit, or removes it when the field is emptied. */
  const setSampleOption = (key: 'topP' | 'topK' | 'seed', value: number | null): void => {
    if (!sample) return
    const { [key]: _old, ...rest } = sample
    update({ sampling: value === null ? rest : { ...rest, [key]: value } })
  }
  return (
    <Dialog title="Settings" onClose={props.onClose} wide className="settings">
      <ModelSection {...props} />
      <fieldset className="settings__section">
        <legend>Writing</legend>
        <NumberField
          label="Longest caption (tokens)"
          hint="A token is about three quarters of a word. Captions stop here if the model has not finished."
          value={settings.maxNewTokens}
          min={1}
          max={4096}
          integer
          onCommit={(value) => update({ maxNewTokens: value ?? 256 })}
        />
        <Select
          label="Word choice"
          value={sampling.kind}
          options={[
            { value: 'greedy', label: 'Most likely words (the same caption every time)' },
            { value: 'sample', label: 'Sampled (more varied; set a seed to repeat a result)' }
          ]}
          onChange={(kind) =>
            update({
              sampling:
                kind === 'greedy' ? { kind: 'greedy' } : { kind: 'sample', temperature: 0.7, topP: 0.9 }
            })
          }
        />
        {sample ? (
          <div className="settings__grid">
            <NumberField
              label="Temperature"
              hint="Higher is more adventurous."
              value={sample.temperature}
              min={0}
              exclusiveMin
              max={10}
              onCommit={(value) => update({ sampling: { ...sample, temperature: value ?? 0.7 } })}
            />
            <NumberField
              label="Top-p"
              hint="Keep the likeliest words up to this share."
              value={sample.topP ?? null}
              min={0}
              exclusiveMin
              max={1}
              optional
              placeholder="off"
              onCommit={(value) => setSampleOption('topP', value)}
            />
            <NumberField
              label="Top-k"
              hint="Consider only this many words."
              value={sample.topK ?? null}
              min={1}
              max={100000}
              integer
              optional
              placeholder="off"
              onCommit={(value) => setSampleOption('topK', value)}
            />
            <NumberField
              label="Seed"
              hint="Empty: a new draw every time."
              value={sample.seed ?? null}
              min={0}
              max={4294967295}
              integer
              optional
              placeholder="random"
              onCommit={(value) => setSampleOption('seed', value)}
            />
          </div>
        ) : null}
        <NumberField
          label="Repetition penalty"
          hint="Empty: none (the model's default). 1.1–1.3 discourages loops."
          value={settings.repetitionPenalty}
          min={0}
          exclusiveMin
          max={10}
          optional
          placeholder="none"
          onCommit={(value) => update({ repetitionPenalty: value })}
        />
      </fieldset>
      <fieldset className="settings__section">
        <legend>Speed</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.fastMode}
            onChange={(event) => update({ fastMode: event.target.checked })}
          />
          <span>
            <strong>Fast mode</strong>
            <span className="field__hint">
              One view of the whole image instead of tiles: several times faster, but small details and text
              are missed.
            </span>
          </span>
        </label>
        <NumberField
          label="Resize images to (longest edge, pixels)"
          hint="Empty: the model's own size. Smaller is faster and sees less detail; below the model's tile size (512 on SmolVLM 256M and 500M) is refused."
          value={settings.longestEdge}
          min={16}
          max={8192}
          integer
          optional
          placeholder="model default"
          onCommit={(value) => update({ longestEdge: value })}
        />
        <NumberField
          label="Images at once (batch size)"
          hint={
            'Captions this many images together. Larger batches use more memory for more speed, mostly in fast ' +
            'mode: with tiles the image encoder takes most of the time. Empty: automatic, 4 on the CPU where ' +
            'the model can batch, otherwise 1.'
          }
          value={settings.batchSize}
          min={1}
          max={LIMITS.batchSize}
          integer
          optional
          placeholder={`automatic (${autoBatchSize(props.status)} now)`}
          onCommit={(value) => update({ batchSize: value })}
        />
      </fieldset>
      <KeywordSettings options={settings.keywords} onChange={(keywords) => update({ keywords })} />
      <fieldset className="settings__section">
        <legend>Caption library</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.keepHistory}
            onChange={(event) => update({ keepHistory: event.target.checked })}
          />
          <span>
            <strong>Keep captions to search them later</strong>
            <span className="field__hint">
              Every finished caption is kept on this computer (never sent anywhere), with the image&apos;s
              name, the model and the prompt, and can be found again with the search box ({'Ctrl/⌘+F'}).
            </span>
          </span>
        </label>
        {props.onClearLibrary ? (
          <div>
            <button type="button" className="button" onClick={props.onClearLibrary}>
              Forget all kept captions
            </button>
          </div>
        ) : null}
      </fieldset>
      <fieldset className="settings__section">
        <legend>Appearance</legend>
        <div className="segmented" role="radiogroup" aria-label="Theme">
          {(['system', 'light', 'dark'] as const).map((theme) => (
            <label key={theme} className="segmented__option">
              <input
                type="radio"
                name="theme"
                value={theme}
                checked={settings.theme === theme}
                onChange={() => update({ theme })}
              />
              <span>{theme === 'system' ? 'Follow the system' : theme === 'light' ? 'Light' : 'Dark'}</span>
            </label>
          ))}
        </div>
      </fieldset>
    </Dialog>
  )
}
