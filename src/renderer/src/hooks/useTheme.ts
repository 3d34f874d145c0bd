import { useEffect } from 'react'
import type { Settings } from '../../../shared/api.ts'

/**
 * Light and dark follow the system unless the settings pick one: `data-theme` on <html> overrides the
 * prefers-color-scheme rules in theme.css.
 */
export function useTheme(theme: Settings['theme'] | undefined): void {
  useEffect(() => {
    const root = document.documentElement
    if (theme === 'light' || theme === 'dark') root.dataset['theme'] = theme
    else delete root.dataset['theme']
  }, [theme])
}
