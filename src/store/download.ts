import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises'
import path from 'node:path'
import { SmolvlmError } from '../engine/errors.ts'
import { gitBlobSha1, hashFile } from './hashing.ts'
import { NotFoundError, TransientError } from './hub.ts'
import type { HubClient, RemoteFile } from './hub.ts'
import { PART_SUFFIX } from './layout.ts'
import type { RecordFile } from './record.ts'
import type { PullNotice, VerificationBasis } from './types.ts'

export interface RetryPolicy {
  /** Failed attempts in a row (without a byte of progress) before giving up. */
  readonly attempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000 }

/** What a file must be, from the hub's headers or, failing those, the catalog's manifest. */
export interface Expected {
  readonly size?: number
  readonly sha256?: string
  readonly gitSha1?: string
  readonly basis: VerificationBasis
}

export function expectedFor(
  remote: RemoteFile,
  known: { size: number; sha256: string } | undefined
): Expected {
  // The hub's X-Linked-Etag for the pinned commit outranks the manifest: the repository may have changed since
  // the manifest was taken. The manifest covers mirrors that send no hashes.
  if (remote.sha256) return { size: remote.size ?? known?.size, sha256: remote.sha256, basis: 'hub-sha256' }
  if (known && (remote.size === undefined || remote.size === known.size)) {
    return { size: known.size, sha256: known.sha256, basis: 'manifest' }
  }
  if (remote.gitSha1) return { size: remote.size, gitSha1: remote.gitSha1, basis: 'hub-git-sha1' }
  return { size: remote.size, basis: remote.size === undefined ? 'none' : 'size-only' }
}

export function pausedError(what: string): SmolvlmError {
  return new SmolvlmError(
    'cancelled',
    `The download of ${what} was paused; pull it again to resume where it stopped.`
  )
}

export function backoffMs(failures: number, policy: RetryPolicy, retryAfter?: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1))
  // Jitter keeps many clients from retrying in step after a hub hiccup.
  const jittered = exponential * (0.75 + Math.random() * 0.5)
  return Math.round(
    retryAfter !== undefined ? Math.min(policy.maxDelayMs, Math.max(retryAfter, jittered)) : jittered
  )
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size
  } catch {
    return 0
  }
}

export interface DownloadJob {
  readonly hub: HubClient
  readonly repo: string
  /** The pinned revision: the commit sha when the hub named one. */
  readonly revision: string
  readonly commit: string | undefined
  readonly path: string
  /** The final file; bytes go to `<dest>.part` until verified. */
  readonly dest: string
  readonly expected: Expected
  readonly retry: RetryPolicy
  readonly signal?: AbortSignal
  /** Bytes of this file on disk: `received` of them just arrived over the network. */
  readonly onBytes: (bytesOnDisk: number, received: number) => void
  readonly onVerifying: () => void
  readonly onNotice: (notice: PullNotice) => void
}

function commitMismatch(job: DownloadJob, remote: RemoteFile): SmolvlmError | undefined {
  if (!job.commit || !remote.commit || remote.commit === job.commit) return undefined
  return new SmolvlmError(
    'download-failed',
    `The hub served ${job.path} from commit ${remote.commit.slice(0, 12)} while this download is pinned to ` +
      `${job.commit.slice(0, 12)}; the repository changed and this server does not serve older commits. ` +
      'Nothing was installed; pull again to download the new revision from the start.'
  )
}

/**
 * Downloads one file into `<dest>.part`, resuming what is already there with a Range request, retrying
 * transient failures with back-off, then checks size and sha256 (or git blob id) before renaming it into
 * place. A file that fails the check is deleted; if its first bytes came from an earlier run it is
 * downloaded once more from zero before giving up.
 */
export async function downloadFile(job: DownloadJob): Promise<RecordFile> {
  const part = job.dest + PART_SUFFIX
  const { expected } = job
  await mkdir(path.dirname(job.dest), { recursive: true })
  let running: { hash: Hash; bytes: number } | undefined
  let failures = 0
  let resumedFromEarlierRun = (await sizeOf(part)) > 0
  if (resumedFromEarlierRun) job.onNotice({ kind: 'resume', file: job.path, offset: await sizeOf(part) })

  for (;;) {
    if (job.signal?.aborted) throw pausedError(job.repo)
    let offset = await sizeOf(part)
    if (expected.size !== undefined && offset > expected.size) {
      await truncate(part, 0)
      offset = 0
    }
    if (!running || running.bytes !== offset) {
      running = { hash: await hashFile(part, { length: offset, signal: job.signal }), bytes: offset }
    }
    job.onBytes(offset, 0)

    const finished = expected.size !== undefined && offset === expected.size
    if (!finished) {
      try {
        await transfer(job, part, running, offset)
      } catch (error) {
        if (job.signal?.aborted) throw pausedError(job.repo)
        if (error instanceof NotFoundError) {
          throw new SmolvlmError(
            'download-failed',
            `${job.path} disappeared from ${job.repo} during the download.`
          )
        }
        if (!(error instanceof TransientError)) throw error
        failures = running.bytes > offset ? 1 : failures + 1
        if (failures >= job.retry.attempts) {
          throw new SmolvlmError(
            'download-failed',
            `Could not download ${job.path} from ${job.repo} (${error.message}) after ${failures} attempts; ` +
              'the part already downloaded is kept: pull again to resume.',
            { cause: error }
          )
        }
        const delayMs = backoffMs(failures, job.retry, error.retryAfterMs)
        job.onNotice({
          kind: 'retry',
          file: job.path,
          attempt: failures + 1,
          delayMs,
          reason: error.message,
          offset: running.bytes
        })
        try {
          await sleep(delayMs, job.signal)
        } catch {
          throw pausedError(job.repo)
        }
        continue
      }
    }

    job.onVerifying()
    const problem = await check(job, part, running)
    if (!problem) {
      const sha256 = running.hash.digest('hex')
      await rename(part, job.dest)
      return { path: job.path, size: running.bytes, sha256, basis: expected.basis }
    }
    await rm(part, { force: true })
    running = undefined
    if (resumedFromEarlierRun) {
      // The kept bytes may predate a change on the server or a crash; one clean download settles it.
      resumedFromEarlierRun = false
      failures = 0
      job.onNotice({ kind: 'restart', file: job.path, reason: problem })
      continue
    }
    throw new SmolvlmError(
      'download-failed',
      `${job.path} from ${job.repo} failed its integrity check (${problem}); the file was deleted and nothing ` +
        'was installed. Pull again; if it keeps failing, the server or a proxy is changing the file.'
    )
  }
}

async function check(
  job: DownloadJob,
  part: string,
  running: { hash: Hash; bytes: number }
): Promise<string | undefined> {
  const { expected } = job
  if (expected.size !== undefined && running.bytes !== expected.size) {
    return `${running.bytes} bytes instead of ${expected.size}`
  }
  if (expected.sha256) {
    const actual = running.hash.copy().digest('hex')
    if (actual !== expected.sha256)
      return `sha256 ${actual.slice(0, 12)}… instead of ${expected.sha256.slice(0, 12)}…`
  }
  if (expected.gitSha1) {
    const actual = await gitBlobSha1(part)
    if (actual !== expected.gitSha1)
      return `git blob ${actual.slice(0, 12)}… instead of ${expected.gitSha1.slice(0, 12)}…`
  }
  return undefined
}

/** One request: appends the body to the part file, updating the running hash. Throws TransientError on a cut. */
async function transfer(
  job: DownloadJob,
  part: string,
  running: { hash: Hash; bytes: number },
  offset: number
): Promise<void> {
  const { body, start, remote, length } = await job.hub.open(
    job.repo,
    job.revision,
    job.path,
    offset,
    job.signal
  )
  const mismatch = commitMismatch(job, remote)
  if (mismatch) {
    body?.destroy()
    throw mismatch
  }
  if (!body) {
    // 416: the part already reaches the end. With an unknown size, that is the whole file.
    if (job.expected.size === undefined) return
    await truncate(part, 0)
    throw new TransientError(`${job.path}: the server refused the range; starting the file again`)
  }
  if (start === 0 && offset > 0) {
    // The server ignored Range and sent the whole file: start the part and the hash again.
    running.hash = createHash('sha256')
    running.bytes = 0
    job.onBytes(0, 0)
  }
  const handle = await open(part, start === 0 ? 'w' : 'a')
  const first = running.bytes
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (job.expected.size !== undefined && running.bytes + chunk.length > job.expected.size) {
          body.destroy()
          throw new TransientError(`${job.path}: the server sent more than ${job.expected.size} bytes`)
        }
        try {
          await handle.write(chunk)
        } catch (error) {
          body.destroy()
          throw new SmolvlmError(
            'download-failed',
            `Could not write ${job.dest}${PART_SUFFIX} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
              'check the free space and permissions of the model folder.',
            { cause: error }
          )
        }
        running.hash.update(chunk)
        running.bytes += chunk.length
        job.onBytes(running.bytes, chunk.length)
      }
    } catch (error) {
      if (error instanceof SmolvlmError || error instanceof TransientError) throw error
      if (job.signal?.aborted) throw error
      throw new TransientError(`${job.path}: connection lost`, undefined, {
        cause: error
      })
    }
    await handle.datasync()
  } finally {
    await handle.close()
  }
  if (length !== undefined && running.bytes - first !== length) {
    throw new TransientError(`${job.path}: connection closed early`)
  }
  if (job.expected.size !== undefined && running.bytes < job.expected.size) {
    throw new TransientError(`${job.path}: the server stopped before the end`)
  }
}
