/** The list before any image: where to drop, what else works, and that nothing leaves the computer. */
import { Icon } from './Icon.tsx'

export function EmptyState({
  onOpenImages,
  onOpenFolder,
  mod
}: {
  onOpenImages: () => void
  onOpenFolder: () => void
  mod: string
}): React.JSX.Element {
  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty__art" aria-hidden="true">
        <Icon name="image" size={40} />
      </div>
      <h2 className="empty__title">Drop images or folders here</h2>
      <p className="empty__text">
        Folders are searched with their subfolders for images. You can also paste an image ({mod}+V).
      </p>
      <div className="empty__actions">
        <button type="button" className="button button--primary" onClick={onOpenImages}>
          <Icon name="image" /> Open images…
        </button>
        <button type="button" className="button" onClick={onOpenFolder}>
          <Icon name="folder" /> Open folder…
        </button>
      </div>
      <p className="empty__privacy">
        <Icon name="shield" size={14} /> Images are described on this computer; nothing is uploaded.
      </p>
      <p className="empty__hint">
        Press <kbd>?</kbd> for keyboard shortcuts.
      </p>
    </div>
  )
}
