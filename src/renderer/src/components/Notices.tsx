import { useEffect, useRef } from 'react'
import type { Notice } from '../hooks/useNotices.tsx'
import { Icon } from './Icon.tsx'

/**
 * Messages about things outside the cards. Errors are announced at once (role alert); the rest politely. The
 * stack is a manual popover that stays open (so its live regions always exist) and is re-shown for each new
 * message, which puts it in the top layer above a dialog opened since.
 */
export function Notices({
  notices,
  onDismiss
}: {
  notices: readonly Notice[]
  onDismiss: (id: number) => void
}): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null)
  const newest = notices.at(-1)?.id
  useEffect(() => {
    const stack = ref.current
    if (!stack || typeof stack.showPopover !== 'function') return
    if (stack.matches(':popover-open')) stack.hidePopover()
    stack.showPopover()
  }, [newest])
  return (
    <div className="notices" popover="manual" ref={ref}>
      <div role="status" aria-live="polite" className="notices__list">
        {notices
          .filter((n) => n.kind !== 'error')
          .map((n) => (
            <NoticeView key={n.id} notice={n} onDismiss={onDismiss} />
          ))}
      </div>
      <div role="alert" className="notices__list">
        {notices
          .filter((n) => n.kind === 'error')
          .map((n) => (
            <NoticeView key={n.id} notice={n} onDismiss={onDismiss} />
          ))}
      </div>
    </div>
  )
}

function NoticeView({
  notice,
  onDismiss
}: {
  notice: Notice
  onDismiss: (id: number) => void
}): React.JSX.Element {
  return (
    <div className={`notice notice--${notice.kind}`} data-testid="notice">
      <Icon
        name={notice.kind === 'error' ? 'alert' : notice.kind === 'success' ? 'check' : 'info'}
        size={16}
      />
      <p>{notice.text}</p>
      <button
        type="button"
        className="icon-button icon-button--small"
        onClick={() => onDismiss(notice.id)}
        aria-label="Dismiss"
      >
        <Icon name="close" size={14} />
      </button>
    </div>
  )
}
