/**
 * A modal window on the native <dialog>: the browser moves focus into it, keeps Tab inside, makes the rest of
 * the page inert, closes on Esc and gives focus back to what had it.
 */
import { useId, useLayoutEffect, useRef } from 'react'
import type { ReactNode } from 'react'
import { Icon } from './Icon.tsx'

export interface DialogProps {
  readonly title: string
  readonly onClose: () => void
  readonly children: ReactNode
  /** Buttons at the bottom (the dialog scrolls above them). */
  readonly footer?: ReactNode
  readonly wide?: boolean
  readonly className?: string
}

export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
  className
}: DialogProps): React.JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  // Layout effect: the cleanup must close the dialog while it is still in the document, so the browser hands
  // focus back to what had it; if that is gone, focus goes back explicitly to what was focused at opening.
  useLayoutEffect(() => {
    const dialog = ref.current
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (dialog && !dialog.open) dialog.showModal()
    return () => {
      dialog?.close()
      if (
        opener?.isConnected &&
        (document.activeElement === document.body || document.activeElement === null)
      )
        opener.focus()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog--wide' : ''}${className ? ` ${className}` : ''}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside its box) closes it.
        if (event.target === ref.current) {
          const box = ref.current.getBoundingClientRect()
          const inside =
            event.clientX >= box.left &&
            event.clientX <= box.right &&
            event.clientY >= box.top &&
            event.clientY <= box.bottom
          if (!inside) onClose()
        }
      }}
    >
      <header className="dialog__header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={`Close ${title}`}>
          <Icon name="close" />
        </button>
      </header>
      <div className="dialog__body">{children}</div>
      {footer ? <footer className="dialog__footer">{footer}</footer> : null}
    </dialog>
  )
}
