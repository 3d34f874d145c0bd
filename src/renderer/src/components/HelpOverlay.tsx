/** The keyboard shortcuts, from the same table the key handler uses. */
import { chordLabel, SHORTCUTS } from '../state/shortcuts.ts'
import type { Shortcut } from '../state/shortcuts.ts'
import { Dialog } from './Dialog.tsx'

const GROUPS: readonly Shortcut['group'][] = ['Images', 'Describing', 'Cards', 'Windows']

export function HelpOverlay({ mac, onClose }: { mac: boolean; onClose: () => void }): React.JSX.Element {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} wide className="help">
      <div className="help__groups">
        {GROUPS.map((group) => (
          <section key={group} className="help__group">
            <h3 className="section-title">{group}</h3>
            <dl className="help__list">
              {SHORTCUTS.filter((s) => s.group === group).map((s) => (
                <div key={s.command} className="help__row">
                  <dt>
                    {s.chords.map((chord, index) => (
                      <span key={index}>
                        {index > 0 ? <span className="muted"> or </span> : null}
                        <kbd>{chordLabel(chord, mac)}</kbd>
                      </span>
                    ))}
                  </dt>
                  <dd>{s.description}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <p className="muted small help__more">
        Also: {mac ? '⌘' : 'Ctrl'}+V pastes an image, Tab moves between areas, Enter in the prompt field
        describes, and Esc closes any window.
      </p>
    </Dialog>
  )
}
