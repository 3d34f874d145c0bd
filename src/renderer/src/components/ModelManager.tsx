/**
 * The model manager: what is installed (use, verify, delete), disk usage, downloads with per-file progress and
 * pause / resume, importing a folder, and the loaded model (unload to free memory).
 */
import type {
  InstalledModelInfo,
  ModelStatus,
  Settings,
  SettingsPatch,
  VariantChoice
} from '../../../shared/api.ts'
import type { ModelStoreHandle } from '../hooks/useModelStore.ts'
import { formatBytes } from '../state/format.ts'
import { findInstalled, modelPatch } from '../state/models.ts'
import { PROVIDER_LABELS } from '../state/variant-notes.ts'
import { Dialog } from './Dialog.tsx'
import { ImportFolder } from './ImportFolder.tsx'
import { InstalledModelRow } from './InstalledModelRow.tsx'
import { ModelCatalog } from './ModelCatalog.tsx'
import { modelStateText } from './StatusBar.tsx'

export interface ModelManagerProps {
  readonly store: ModelStoreHandle
  readonly settings: Settings
  readonly update: (patch: SettingsPatch) => void
  readonly status: ModelStatus | null
  readonly onUnload: () => void
  readonly onNotice: (text: string) => void
  readonly onClose: () => void
}

export function ModelManager(props: ModelManagerProps): React.JSX.Element {
  const { store, settings, status } = props
  const current = findInstalled(store.installed, settings.modelId)
  const use = (model: InstalledModelInfo, choice?: VariantChoice): void => {
    props.update(modelPatch(model, settings.variant, choice))
    props.onNotice(`Using ${model.id}.`)
  }
  return (
    <Dialog title="Models" onClose={props.onClose} wide className="models">
      <section className="models__section" aria-labelledby="models-loaded">
        <h3 id="models-loaded" className="section-title">
          Loaded now
        </h3>
        <div className="models__loaded">
          <p>
            <strong>{status?.modelId ?? settings.modelId}</strong> · {status?.variant ?? settings.variant} ·{' '}
            {modelStateText(status)}
            {status?.provider ? ` · ${PROVIDER_LABELS[status.provider] ?? status.provider}` : ''}
            {status?.memoryMb != null ? ` · ${Math.round(status.memoryMb)} MB` : ''}
          </p>
          <button
            type="button"
            className="button"
            onClick={props.onUnload}
            disabled={status?.state !== 'ready' && status?.state !== 'error'}
          >
            Unload (free memory)
          </button>
        </div>
      </section>
      {!store.available ? (
        <section className="models__section">
          <p className="muted">{store.loaded ? store.unavailableReason : 'Looking for models…'}</p>
        </section>
      ) : (
        <>
          <section className="models__section" aria-labelledby="models-installed">
            <h3 id="models-installed" className="section-title">
              On this computer
              {store.disk ? (
                <span className="section-title__aside" data-testid="disk-usage">
                  {formatBytes(store.disk.totalBytes)} on disk
                </span>
              ) : null}
            </h3>
            {store.installed.length === 0 ? (
              <p className="muted">No model yet: download one below or add a folder.</p>
            ) : (
              <ul className="installed-list">
                {store.installed.map((model) => (
                  <InstalledModelRow
                    key={`${model.id}@${model.revision}`}
                    model={model}
                    inUse={model === current}
                    onUse={(m) => use(m)}
                    onVerify={store.verify}
                    onRemove={store.remove}
                  />
                ))}
              </ul>
            )}
          </section>
          <section className="models__section" aria-labelledby="models-download">
            <h3 id="models-download" className="section-title">
              Download
            </h3>
            <ModelCatalog
              store={store}
              device={settings.device}
              onInstalled={(model, choice) => {
                if (!current || current.variants.length === 0) use(model, choice)
                else props.onNotice(`${model.id} is downloaded.`)
              }}
            />
          </section>
          <section className="models__section" aria-labelledby="models-import">
            <h3 id="models-import" className="section-title">
              Add a folder
            </h3>
            <ImportFolder
              onImport={async (mode) => {
                const model = await store.importFolder(mode)
                if (model) {
                  if (!current || current.variants.length === 0) use(model)
                  else props.onNotice(`${model.id} was added.`)
                }
                return model
              }}
            />
          </section>
        </>
      )}
    </Dialog>
  )
}
