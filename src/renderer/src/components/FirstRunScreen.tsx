/**
 * The first start without a model: what the app does, one model to download (the smallest, recommended for this
 * device), the others for comparison, and a way to add a folder that is already on disk.
 */
import type { InstalledModelInfo, Settings, VariantChoice } from '../../../shared/api.ts'
import appIcon from '../../../../resources/icon.svg'
import type { ModelStoreHandle } from '../hooks/useModelStore.ts'
import { ImportFolder } from './ImportFolder.tsx'
import { ModelCatalog } from './ModelCatalog.tsx'

export interface FirstRunScreenProps {
  readonly store: ModelStoreHandle
  readonly settings: Settings
  readonly onInstalled: (model: InstalledModelInfo, choice?: VariantChoice) => void
  readonly onOpenModels: () => void
  readonly onSkip: () => void
}

export function FirstRunScreen({
  store,
  settings,
  onInstalled,
  onOpenModels,
  onSkip
}: FirstRunScreenProps): React.JSX.Element {
  return (
    <main className="first-run" data-testid="first-run">
      <div className="first-run__inner">
        <header className="first-run__header">
          <img className="first-run__logo" src={appIcon} alt="" width={56} height={56} />
          <h1>Welcome to SmolVLM</h1>
          <p className="first-run__lead">
            Describe images, write alt text and caption whole folders — on this computer. First, download a
            model once from Hugging Face; after that nothing leaves your machine.
          </p>
        </header>
        <ModelCatalog
          store={store}
          device={settings.device}
          highlightId={
            store.catalog.some((e) => e.id === settings.modelId) ? settings.modelId : store.catalog[0]?.id
          }
          onInstalled={onInstalled}
        />
        <section className="first-run__import" aria-labelledby="first-run-import">
          <h2 id="first-run-import" className="section-title">
            Already have a model folder?
          </h2>
          <ImportFolder
            onImport={async (mode) => {
              const model = await store.importFolder(mode)
              if (model) onInstalled(model)
              return model
            }}
          />
        </section>
        <p className="first-run__footer small muted">
          <button type="button" className="link-button" onClick={onOpenModels}>
            Open the model manager
          </button>{' '}
          ·{' '}
          <button type="button" className="link-button" onClick={onSkip}>
            Continue without a model
          </button>
        </p>
      </div>
    </main>
  )
}
