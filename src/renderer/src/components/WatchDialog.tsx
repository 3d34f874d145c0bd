/** Starting a watch: what it does, whether to write caption files as captions finish, then the folder dialog. */
import { useState } from 'react'
import type { SidecarPolicy } from '../../../shared/api.ts'
import { Dialog } from './Dialog.tsx'
import { Icon } from './Icon.tsx'

const POLICY_WORDS: Record<SidecarPolicy, string> = {
  skip: 'an existing caption file is kept',
  overwrite: 'an existing caption file is replaced',
  append: 'the caption is added to the end of an existing file',
  prefix: 'the caption is added to the start of an existing file'
}

export function WatchDialog({
  policy,
  triggerWord,
  onStart,
  onClose
}: {
  policy: SidecarPolicy
  triggerWord: string
  onStart: (writeCaptionFiles: boolean) => Promise<void>
  onClose: () => void
}): React.JSX.Element {
  const [write, setWrite] = useState(true)
  const [busy, setBusy] = useState(false)
  const word = triggerWord.trim()
  return (
    <Dialog
      title="Watch a folder"
      onClose={onClose}
      className="watch-dialog"
      footer={
        <button
          type="button"
          className="button button--primary"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            await onStart(write)
            setBusy(false)
          }}
        >
          <Icon name="folder" /> {busy ? 'Choosing…' : 'Choose a folder to watch…'}
        </button>
      }
    >
      <p>
        Images that land in the folder or its subfolders (camera imports, screenshots, downloads) are added to
        the list and described once they have finished copying. Images already there are described too. Each
        image is described once: the app remembers what it has done, also after a restart, until the image
        changes or you change the model or the prompt.
      </p>
      <label className="check">
        <input type="checkbox" checked={write} onChange={(event) => setWrite(event.target.checked)} />
        <span>
          <strong>Write a caption file beside each image</strong>
          <span className="field__hint">
            photo.jpg gets photo.txt as soon as its caption is ready, as in Save captions:{' '}
            {POLICY_WORDS[policy]}
            {word ? `, and captions start with “${word}”` : ''}.
          </span>
        </span>
      </label>
    </Dialog>
  )
}
