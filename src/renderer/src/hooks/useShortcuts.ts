/**
 * The window's keyboard shortcuts (the table is state/shortcuts.ts). Keys typed into a field stay there except
 * the chords with a modifier; Esc in a field leaves the field. While a dialog is open, it has the keyboard.
 */
import { useEffect, useRef } from 'react'
import type { Command } from '../state/shortcuts.ts'
import { commandFor } from '../state/shortcuts.ts'

function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag !== 'INPUT') return false
  const type = (target as HTMLInputElement).type
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file'].includes(type)
}

/**
 * `run` returns false when the command does not apply now (the key then keeps its usual meaning). `leaveField`
 * runs after Esc took the focus out of a text field (the workspace gives it back to the list).
 */
export function useShortcuts(
  run: (command: Command) => boolean,
  mac: boolean,
  leaveField?: () => void
): void {
  const latest = useRef({ run, leaveField })
  useEffect(() => {
    latest.current = { run, leaveField }
  })
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.defaultPrevented || event.isComposing) return
      if (document.querySelector('dialog[open]')) return
      const typing = isTypingTarget(event.target)
      if (typing && event.key === 'Escape' && !event.shiftKey) {
        ;(event.target as HTMLElement).blur()
        event.preventDefault()
        latest.current.leaveField?.()
        return
      }
      // Radio buttons and checkboxes use the arrow keys and Space themselves.
      const control = event.target instanceof HTMLInputElement && !typing
      if (control && event.key.startsWith('Arrow')) return
      const command = commandFor(event, { mac, typing })
      if (command && latest.current.run(command)) event.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [mac])
}
