import { randomBytes } from 'node:crypto'
import { link, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { tempNameBeside } from '../shared/temp-name.ts'

export type AtomicMode =
  /** Replace whatever is at the path (rename over it). */
  | 'replace'
  /** Create the file only if nothing is there; EEXIST otherwise (link, which never overwrites). */
  | 'create'

/**
 * Writes a file so that readers see either the old content or the whole new one, never a part: the data goes
 * to a hidden temp file in the same folder, is flushed to disk, then renamed (or linked) into place. On any
 * failure the temp file is removed and the target is untouched.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode: AtomicMode = 'replace'
): Promise<void> {
  const temp = join(dirname(path), tempNameBeside(basename(path), `.${randomBytes(6).toString('hex')}.tmp`))
  let placed = false
  try {
    const handle = await open(temp, 'wx', 0o644)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (mode === 'replace') {
      await rename(temp, path)
      placed = true
    } else {
      await link(temp, path)
    }
  } finally {
    if (!placed) await unlink(temp).catch(() => undefined)
  }
}
