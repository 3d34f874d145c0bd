import { mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { Settings, SettingsPatch } from '../shared/contract.ts'
import {
  DEFAULT_SETTINGS,
  parseMessage,
  recoverSettings,
  SettingsPatchSchema,
  SettingsSchema
} from '../shared/contract.ts'
import { writeFileAtomic } from './atomic-write.ts'
import { Listeners } from './listeners.ts'

export const SETTINGS_FILE = 'settings.json'

/**
 * The user's settings as one JSON file in a folder of the app's own (Electron: a subfolder of userData).
 * Reading never fails: a missing file means defaults, invalid fields take their defaults, and a file that is
 * not JSON at all is moved aside (settings.json.corrupt-<time>) so nothing the user had is destroyed.
 * Writes are validated, serialised and atomic.
 */
export class SettingsStore {
  readonly onChange = new Listeners<Settings>()
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    readonly dir: string,
    private current: Settings,
    /** What was wrong with the file when it was read (fields reset to defaults, or the name of the moved-aside copy). */
    readonly problems: readonly string[]
  ) {}

  static async open(dir: string): Promise<SettingsStore> {
    await mkdir(dir, { recursive: true })
    const path = join(dir, SETTINGS_FILE)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch {
      return new SettingsStore(dir, { ...DEFAULT_SETTINGS }, [])
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
      await rename(path, aside).catch(() => undefined)
      return new SettingsStore(dir, { ...DEFAULT_SETTINGS }, [
        `${SETTINGS_FILE} was not valid JSON; moved to ${aside}`
      ])
    }
    const { settings, repaired } = recoverSettings(value)
    return new SettingsStore(
      dir,
      settings,
      repaired.map((key) => `settings.${key} was invalid or unknown; using the default`)
    )
  }

  get(): Settings {
    return structuredClone(this.current)
  }

  /** Applies a patch (validated; unknown keys are refused), saves, and announces the new settings. */
  async update(patch: SettingsPatch | unknown): Promise<Settings> {
    const changes = parseMessage(SettingsPatchSchema, patch, 'settings')
    const next = SettingsSchema.parse({ ...this.current, ...changes })
    this.current = next
    const write = this.writing.then(() =>
      writeFileAtomic(join(this.dir, SETTINGS_FILE), `${JSON.stringify(next, null, 2)}\n`)
    )
    this.writing = write.catch(() => undefined)
    await write
    this.onChange.emit(this.get())
    return this.get()
  }
}
