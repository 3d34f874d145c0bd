/**
 * Short messages for things that happened outside a card: a file that could not be added, an export that was
 * saved, a call the app refused. Errors stay until dismissed; the rest fade after a few seconds.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react'
import type { ReactNode } from 'react'

export interface Notice {
  readonly id: number
  readonly kind: 'info' | 'success' | 'error'
  readonly text: string
}

interface NoticeApi {
  readonly notices: readonly Notice[]
  notify(kind: Notice['kind'], text: string): void
  dismiss(id: number): void
}

const NoticeContext = createContext<NoticeApi | null>(null)

const FADE_MS = 6000

export function NoticeProvider({ children }: { children: ReactNode }): React.JSX.Element {
  const [notices, setNotices] = useState<readonly Notice[]>([])
  const counter = useRef(0)
  const dismiss = useCallback((id: number) => {
    setNotices((list) => list.filter((notice) => notice.id !== id))
  }, [])
  const notify = useCallback(
    (kind: Notice['kind'], text: string) => {
      const id = ++counter.current
      // The same sentence twice in a row is one notice.
      setNotices((list) =>
        list.some((n) => n.text === text && n.kind === kind) ? list : [...list.slice(-4), { id, kind, text }]
      )
      if (kind !== 'error') setTimeout(() => dismiss(id), FADE_MS)
    },
    [dismiss]
  )
  const value = useMemo(() => ({ notices, notify, dismiss }), [notices, notify, dismiss])
  return <NoticeContext.Provider value={value}>{children}</NoticeContext.Provider>
}

export function useNotices(): NoticeApi {
  const api = useContext(NoticeContext)
  if (!api) throw new Error('useNotices needs a NoticeProvider')
  return api
}
