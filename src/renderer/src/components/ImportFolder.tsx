/** Adding a model folder that is already on disk (downloaded by hand or by other tools). */
import { useState } from 'react'
import type { ImportMode, InstalledModelInfo } from '../../../shared/api.ts'
import { Icon } from './Icon.tsx'

export function ImportFolder({
  onImport
}: {
  onImport: (mode: ImportMode) => Promise<InstalledModelInfo | null>
}): React.JSX.Element {
  const [mode, setMode] = useState<ImportMode>('in-place')
  const [busy, setBusy] = useState(false)
  return (
    <div className="import">
      <p className="muted">
        A folder laid out like the Hugging Face repository (config files at the top, <code>onnx/</code> below)
        can be added as it is. Its files are checked first.
      </p>
      <div className="segmented" role="radiogroup" aria-label="How to add the folder">
        <label className="segmented__option">
          <input
            type="radio"
            name="import-mode"
            checked={mode === 'in-place'}
            onChange={() => setMode('in-place')}
          />
          <span>Use it where it is</span>
        </label>
        <label className="segmented__option">
          <input type="radio" name="import-mode" checked={mode === 'copy'} onChange={() => setMode('copy')} />
          <span>Copy it into the app</span>
        </label>
      </div>
      <button
        type="button"
        className="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true)
          await onImport(mode)
          setBusy(false)
        }}
      >
        <Icon name="folder" /> {busy ? 'Adding…' : 'Choose a model folder…'}
      </button>
    </div>
  )
}
