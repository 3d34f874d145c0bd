/**
 * Every keyboard shortcut, once: the key handler matches events against this table and the help overlay lists
 * it, so the two cannot disagree. "Mod" is Cmd on macOS and Ctrl elsewhere.
 */

export type Command =
  | 'open-images'
  | 'open-folder'
  | 'describe-all'
  | 'describe-again'
  | 'stop'
  | 'cancel-batch'
  | 'toggle-pause'
  | 'next'
  | 'previous'
  | 'first'
  | 'last'
  | 'copy'
  | 'regenerate'
  | 'ask'
  | 'remove'
  | 'focus-prompt'
  | 'search'
  | 'settings'
  | 'export'
  | 'models'
  | 'help'
  | 'preset-1'
  | 'preset-2'
  | 'preset-3'
  | 'preset-4'
  | 'preset-5'

export interface KeyChord {
  readonly key: string
  readonly mod?: boolean
  readonly shift?: boolean
  readonly alt?: boolean
}

export interface Shortcut {
  readonly command: Command
  readonly chords: readonly KeyChord[]
  readonly description: string
  readonly group: 'Images' | 'Describing' | 'Cards' | 'Windows'
  /** Also works while typing in a text field (only chords with a modifier should). */
  readonly whileTyping?: boolean
}

export const SHORTCUTS: readonly Shortcut[] = [
  {
    command: 'open-images',
    chords: [{ key: 'o', mod: true }],
    description: 'Open images…',
    group: 'Images',
    whileTyping: true
  },
  {
    command: 'open-folder',
    chords: [{ key: 'o', mod: true, shift: true }],
    description: 'Open a folder…',
    group: 'Images',
    whileTyping: true
  },
  {
    command: 'remove',
    chords: [{ key: 'Delete' }, { key: 'Backspace', mod: true }],
    description: 'Remove the selected image from the list',
    group: 'Images'
  },
  {
    command: 'describe-all',
    chords: [{ key: 'Enter', mod: true }],
    description: 'Describe every image without a caption',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'describe-again',
    chords: [{ key: 'Enter', mod: true, shift: true }],
    description: 'Describe every image again with the current prompt',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'stop',
    chords: [{ key: 'Escape' }],
    description: 'Stop the caption being written',
    group: 'Describing'
  },
  {
    command: 'cancel-batch',
    chords: [{ key: 'Escape', shift: true }],
    description: 'Cancel the whole queue',
    group: 'Describing'
  },
  {
    command: 'toggle-pause',
    chords: [{ key: 'p' }],
    description: 'Pause or resume the queue',
    group: 'Describing'
  },
  { command: 'focus-prompt', chords: [{ key: '/' }], description: 'Edit the prompt', group: 'Describing' },
  {
    command: 'search',
    chords: [{ key: 'f', mod: true }],
    description: 'Search kept captions',
    group: 'Images',
    whileTyping: true
  },
  {
    command: 'preset-1',
    chords: [{ key: '1', alt: true }],
    description: 'Prompt preset: short caption',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'preset-2',
    chords: [{ key: '2', alt: true }],
    description: 'Prompt preset: detailed description',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'preset-3',
    chords: [{ key: '3', alt: true }],
    description: 'Prompt preset: alt text',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'preset-4',
    chords: [{ key: '4', alt: true }],
    description: 'Prompt preset: read the text',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'preset-5',
    chords: [{ key: '5', alt: true }],
    description: 'Prompt preset: tags / keywords',
    group: 'Describing',
    whileTyping: true
  },
  {
    command: 'next',
    chords: [{ key: 'ArrowDown' }, { key: 'j' }],
    description: 'Next image',
    group: 'Cards'
  },
  {
    command: 'previous',
    chords: [{ key: 'ArrowUp' }, { key: 'k' }],
    description: 'Previous image',
    group: 'Cards'
  },
  { command: 'first', chords: [{ key: 'Home' }], description: 'First image', group: 'Cards' },
  { command: 'last', chords: [{ key: 'End' }], description: 'Last image', group: 'Cards' },
  {
    command: 'copy',
    chords: [{ key: 'c' }],
    description: "Copy the selected image's caption",
    group: 'Cards'
  },
  {
    command: 'regenerate',
    chords: [{ key: 'r' }],
    description: 'Describe the selected image again',
    group: 'Cards'
  },
  {
    command: 'ask',
    chords: [{ key: 'a' }],
    description: 'Ask a follow-up question about the selected image',
    group: 'Cards'
  },
  {
    command: 'export',
    chords: [{ key: 's', mod: true }],
    description: 'Save captions (caption files, CSV, JSON Lines)',
    group: 'Windows',
    whileTyping: true
  },
  {
    command: 'settings',
    chords: [{ key: ',', mod: true }],
    description: 'Settings',
    group: 'Windows',
    whileTyping: true
  },
  { command: 'models', chords: [{ key: 'm' }], description: 'Model manager', group: 'Windows' },
  {
    command: 'help',
    chords: [{ key: '?', shift: true }, { key: 'F1' }],
    description: 'Keyboard shortcuts (this list)',
    group: 'Windows'
  }
]

export interface KeyLike {
  readonly key: string
  readonly ctrlKey: boolean
  readonly metaKey: boolean
  readonly shiftKey: boolean
  readonly altKey: boolean
}

function chordMatches(chord: KeyChord, event: KeyLike, mac: boolean): boolean {
  const mod = mac ? event.metaKey : event.ctrlKey
  const otherMod = mac ? event.ctrlKey : event.metaKey
  if (otherMod || mod !== Boolean(chord.mod) || event.altKey !== Boolean(chord.alt)) return false
  // "?" is Shift+/ on many layouts; on others it needs no Shift: accept the character as typed.
  if (chord.key === '?') return event.key === '?'
  if (event.shiftKey !== Boolean(chord.shift)) return false
  // With Alt, some layouts turn digits into other characters: compare the digit the key would type.
  return event.key.length === 1 ? event.key.toLowerCase() === chord.key : event.key === chord.key
}

/** The command a key press means here, or null. While typing, only the shortcuts marked whileTyping count. */
export function commandFor(event: KeyLike, options: { mac: boolean; typing: boolean }): Command | null {
  for (const shortcut of SHORTCUTS) {
    if (options.typing && !shortcut.whileTyping) continue
    if (shortcut.chords.some((chord) => chordMatches(chord, event, options.mac))) return shortcut.command
  }
  return null
}

export function chordLabel(chord: KeyChord, mac: boolean): string {
  const names: Record<string, string> = {
    ArrowDown: '↓',
    ArrowUp: '↑',
    Escape: 'Esc',
    Enter: mac ? '↩' : 'Enter',
    Backspace: mac ? '⌫' : 'Backspace',
    Delete: mac ? '⌦' : 'Delete',
    ',': ','
  }
  const parts: string[] = []
  if (chord.mod) parts.push(mac ? '⌘' : 'Ctrl')
  if (chord.alt) parts.push(mac ? '⌥' : 'Alt')
  if (chord.shift && chord.key !== '?') parts.push(mac ? '⇧' : 'Shift')
  parts.push(names[chord.key] ?? (chord.key.length === 1 ? chord.key.toUpperCase() : chord.key))
  return parts.join(mac ? '' : '+')
}

export function isMacPlatform(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)
}
