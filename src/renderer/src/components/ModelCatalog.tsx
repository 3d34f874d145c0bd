/** The catalog's models as download cards, with interrupted downloads found on disk offered for resuming. */
import type { InstalledModelInfo, VariantChoice } from '../../../shared/api.ts'
import type { ModelStoreHandle } from '../hooks/useModelStore.ts'
import { findInstalled } from '../state/models.ts'
import { CatalogEntryCard } from './CatalogEntryCard.tsx'

export interface ModelCatalogProps {
  readonly store: ModelStoreHandle
  readonly device: string
  readonly highlightId?: string
  readonly onInstalled: (model: InstalledModelInfo, choice: VariantChoice) => void
}

export function ModelCatalog({
  store,
  device,
  highlightId,
  onInstalled
}: ModelCatalogProps): React.JSX.Element {
  const pull = async (ref: string, choice: VariantChoice): Promise<void> => {
    const outcome = await store.pull(ref, choice)
    if (outcome.state === 'done') onInstalled(outcome.model, choice)
  }
  return (
    <div className="model-catalog">
      {store.catalog.map((entry) => {
        const partial = store.disk?.models.find((m) => m.id === entry.id && !m.complete)
        return (
          <CatalogEntryCard
            key={entry.id}
            entry={entry}
            device={device}
            installed={findInstalled(store.installed, entry.id)}
            download={store.downloads[entry.id]}
            partialBytes={partial ? partial.bytes : null}
            highlighted={entry.id === highlightId}
            onPull={(ref, choice) => void pull(ref, choice)}
            onPause={(ref) => void store.pause(ref)}
            onCancel={(ref) => void store.cancel(ref)}
          />
        )
      })}
    </div>
  )
}
