import { hostname } from 'node:os'
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { SmolvlmError } from '../engine/errors.ts'
import type { VariantChoice } from '../engine/model-files.ts'
import { LOCK_FILE, RECORD_FILE } from './layout.ts'
import type { ModelSource, VerificationBasis } from './types.ts'

/**
 * The store's bookkeeping for one model folder, kept in <folder>/.smolvlm-store.json (for an in-place import:
 * <root>/imports/<owner>/<name>/<revision>/.smolvlm-store.json, pointing at the user's folder).
 *
 * A folder counts as installed only once `complete` is true, and that is written (atomically, by rename) after
 * every listed file was verified and renamed into place. `pending` marks a pull in progress or paused: it
 * names the choice and revision so that a later pull, even after a restart, resumes the same files.
 */
export interface StoreRecord {
  readonly format: 1
  readonly id: string
  readonly repo: string
  readonly revision: string
  /** The commit sha from X-Repo-Commit, when the hub sent one. */
  readonly commit?: string
  readonly source: ModelSource
  readonly hubUrl?: string
  /** import-in-place: the user's folder. */
  readonly location?: string
  readonly complete: boolean
  readonly installedAt?: string
  readonly updatedAt: string
  readonly verifiedAt?: string
  readonly files: RecordFile[]
  /** Files that failed the last verify: their variants are not reported until a pull repairs them. */
  readonly damaged?: string[]
  readonly pending?: PendingPull
}

export interface RecordFile {
  readonly path: string
  readonly size: number
  readonly sha256: string
  readonly basis: VerificationBasis
}

export interface PendingPull {
  readonly choice: VariantChoice
  readonly requestedRevision: string
  readonly startedAt: string
  /** The plan as the hub described it (sizes where known). */
  readonly files: { path: string; size?: number }[]
  /** Files of the plan already verified and renamed into place. */
  readonly done?: RecordFile[]
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isRecordFile(value: unknown): value is RecordFile {
  return (
    isObject(value) &&
    typeof value['path'] === 'string' &&
    typeof value['size'] === 'number' &&
    typeof value['sha256'] === 'string'
  )
}

/** Reads a record; a missing, unreadable or foreign file reads as undefined (the folder is not installed). */
export async function readRecord(dir: string): Promise<StoreRecord | undefined> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(path.join(dir, RECORD_FILE), 'utf8'))
  } catch {
    return undefined
  }
  if (
    !isObject(value) ||
    value['format'] !== 1 ||
    typeof value['id'] !== 'string' ||
    typeof value['repo'] !== 'string' ||
    typeof value['revision'] !== 'string' ||
    typeof value['complete'] !== 'boolean' ||
    !Array.isArray(value['files']) ||
    !value['files'].every(isRecordFile)
  ) {
    return undefined
  }
  return value as unknown as StoreRecord
}

/** Writes a record atomically: a reader sees the old or the new file, never half of one. */
export async function writeRecord(dir: string, record: StoreRecord): Promise<void> {
  const target = path.join(dir, RECORD_FILE)
  const temp = `${target}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify(record, null, 2) + '\n')
  await rename(temp, target)
}

const heldInThisProcess = new Set<string>()

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Who holds a folder's lock, if anyone alive does. */
export async function lockHolder(dir: string): Promise<{ pid: number } | undefined> {
  const file = path.join(dir, LOCK_FILE)
  if (heldInThisProcess.has(file)) return { pid: process.pid }
  try {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'))
    if (isObject(value) && typeof value['pid'] === 'number' && value['host'] === hostname()) {
      return value['pid'] !== process.pid && processAlive(value['pid']) ? { pid: value['pid'] } : undefined
    }
    // Another machine (a shared folder) or an unreadable lock: believe it.
    return isObject(value) && typeof value['pid'] === 'number' ? { pid: value['pid'] } : undefined
  } catch {
    return undefined
  }
}

/**
 * Takes the folder's lock for a pull. A lock left by a process that has died (a crash, a killed app) is
 * taken over; one held by a live process is refused with a sentence naming it.
 */
export async function acquireLock(dir: string, what: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    if (heldInThisProcess.has(file)) {
      throw new SmolvlmError(
        'download-failed',
        `${what} is already being downloaded by this app; wait for it to finish.`
      )
    }
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(
        JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })
      )
      await handle.close()
      heldInThisProcess.add(file)
      return async () => {
        heldInThisProcess.delete(file)
        await rm(file, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = await lockHolder(dir)
      if (holder) {
        throw new SmolvlmError(
          'download-failed',
          `${what} is already being downloaded by another smolvlm process (pid ${holder.pid}); wait for it or stop it.`
        )
      }
      await rm(file, { force: true })
    }
  }
  throw new SmolvlmError('download-failed', `Could not lock ${dir} for the download of ${what}.`)
}
