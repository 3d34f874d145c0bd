/** Line icons drawn for this app (24-unit grid, stroked with the text colour). Decorative: hidden from screen readers. */

const PATHS = {
  image: 'M4 5h16v14H4z M4 16l5-5 4 4 3-3 4 4 M15.5 9.5a1.5 1.5 0 1 0 0.01 0',
  folder: 'M3 6.5h6l2 2h10v10.5H3z',
  play: 'M8 5.5v13l10.5-6.5z',
  pause: 'M8 5.5v13 M16 5.5v13',
  stop: 'M6.5 6.5h11v11h-11z',
  copy: 'M9 9h11v11H9z M5 15H4V4h11v1',
  redo: 'M19 12a7 7 0 1 1-2.05-4.95 M19 4.5v4h-4',
  trash: 'M4.5 7h15 M9.5 7V4.5h5V7 M6.5 7l1 13h9l1-13',
  close: 'M6 6l12 12 M18 6L6 18',
  gear: 'M12 9a3 3 0 1 0 0.01 0 M12 2.5v3 M12 18.5v3 M2.5 12h3 M18.5 12h3 M5.3 5.3l2.1 2.1 M16.6 16.6l2.1 2.1 M5.3 18.7l2.1-2.1 M16.6 7.4l2.1-2.1',
  save: 'M12 4v11 M7.5 10.5L12 15l4.5-4.5 M4.5 19.5h15',
  chip: 'M7 7h10v10H7z M10 3.5V7 M14 3.5V7 M10 17v3.5 M14 17v3.5 M3.5 10H7 M3.5 14H7 M17 10h3.5 M17 14h3.5',
  download: 'M12 3.5v12 M7 10.5l5 5 5-5 M4.5 20h15',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  alert: 'M12 3.5l9.5 16.5h-19z M12 10v4.5 M12 17v.5',
  send: 'M4.5 12h14 M13 6.5l5.5 5.5-5.5 5.5',
  shield: 'M12 3l7.5 3v5.5c0 4.5-3.2 8.2-7.5 9.5-4.3-1.3-7.5-5-7.5-9.5V6z',
  keyboard: 'M3 6.5h18v11H3z M6.5 10h1 M10 10h1 M13.5 10h1 M17 10h.5 M7.5 14h9',
  plus: 'M12 5v14 M5 12h14',
  info: 'M12 21a9 9 0 1 0 0.01 0z M12 11v5.5 M12 7.5v.5',
  search: 'M10.5 4.5a6 6 0 1 0 0.01 0 M15 15l5 5',
  eye: 'M2.5 12s3.5-6.5 9.5-6.5 9.5 6.5 9.5 6.5-3.5 6.5-9.5 6.5S2.5 12 2.5 12z M12 9.5a2.5 2.5 0 1 0 0.01 0'
} as const

export type IconName = keyof typeof PATHS

export function Icon({ name, size = 18 }: { name: IconName; size?: number }): React.JSX.Element {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  )
}
