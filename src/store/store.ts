import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, rm, rmdir, stat, statfs } from 'node:fs/promises'
import path from 'node:path'
import { SmolvlmError } from '../engine/errors.ts'
import {
  onnxFileName,
  readModelConfig,
  resolveVariants,
  SESSION_NAMES,
  sessionVariantsFor,
  VARIANTS
} from '../engine/model-files.ts'
import type { SessionName, Variant, VariantChoice } from '../engine/model-files.ts'
import { CATALOG, catalogEntryForRepo, DEFAULT_VARIANT_CHOICE } from './catalog.ts'
import type { CatalogEntry } from './catalog.ts'
import { backoffMs, DEFAULT_RETRY, downloadFile, expectedFor, pausedError, sleep } from './download.ts'
import type { Expected, RetryPolicy } from './download.ts'
import {
  applyManifest,
  hashFolder,
  identifyFolder,
  judge,
  listFolder,
  recognizeByManifest
} from './folder.ts'
import type { FolderFile } from './folder.ts'
import { gitBlobSha1, sha256File } from './hashing.ts'
import { HubClient, TransientError } from './hub.ts'
import type { RemoteFile } from './hub.ts'
import {
  describeChoice,
  externalDataName,
  fileIn,
  importsRoot,
  isCommitSha,
  isRepoId,
  MAX_EXTERNAL_DATA_CHUNKS,
  modelsRoot,
  PART_SUFFIX,
  planFiles,
  revisionFolder
} from './layout.ts'
import type { PlannedFile } from './layout.ts'
import { formatBytes, PullProgressTracker } from './progress.ts'
import { acquireLock, lockHolder, readRecord, writeRecord } from './record.ts'
import type { PendingPull, RecordFile, StoreRecord } from './record.ts'
import type {
  DiskUsage,
  InstalledModel,
  PartialDownload,
  PullNotice,
  PullOptions,
  StoreOptions,
  VerifyReport
} from './types.ts'

/** A record found on disk: where it lives, and where its model files are (the same folder unless used in place). */
interface Located {
  readonly record: StoreRecord
  readonly recordDir: string
  readonly dir: string
}

type Ref =
  | {
      readonly kind: 'repo'
      readonly repo: string
      readonly entry?: CatalogEntry
      readonly revision?: string
    }
  | { readonly kind: 'dir'; readonly dir: string }

const DEFAULT_HUB = 'https://huggingface.co'
const PROBE_CONCURRENCY = 4

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory()
  } catch {
    return false
  }
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
  } catch {
    return []
  }
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file)
    return info.isFile() ? info.size : undefined
  } catch {
    return undefined
  }
}

/** Bytes of every file under a folder, links not followed. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) total += await folderBytes(full)
    else if (entry.isFile()) total += (await lstat(full)).size
  }
  return total
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>
): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!)
  })
  await Promise.all(workers)
}

/** Code-unit order: the same on every machine, whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function now(): string {
  return new Date().toISOString()
}

function shortRevision(revision: string): string {
  return isCommitSha(revision) ? revision.slice(0, 12) : revision
}

/**
 * The model store: a catalog, hub downloads that survive lost connections and restarts, imports of folders the
 * user already has, integrity checks and removal. Every method except pull works without the network.
 */
export class ModelStore {
  readonly root: string
  readonly hubUrl: string
  private readonly entries: readonly CatalogEntry[]
  private readonly retry: RetryPolicy
  private readonly idleTimeoutMs: number
  private readonly progressIntervalMs: number
  private readonly diskReserveBytes: number
  private readonly freeDiskBytes: (dir: string) => Promise<number>

  constructor(options: StoreOptions) {
    this.root = path.resolve(options.root)
    this.hubUrl = options.hubUrl ?? process.env['SMOLVLM_HUB_URL'] ?? DEFAULT_HUB
    this.entries = options.catalog ?? CATALOG
    this.retry = { ...DEFAULT_RETRY, ...options.retry }
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000
    this.progressIntervalMs = options.progressIntervalMs ?? 200
    this.diskReserveBytes = options.diskReserveBytes ?? 64 * 1024 * 1024
    this.freeDiskBytes =
      options.freeDiskBytes ??
      (async (dir) => {
        const info = await statfs(dir)
        return info.bavail * info.bsize
      })
  }

  catalog(): readonly CatalogEntry[] {
    return this.entries
  }

  /** Complete models, newest first within an id. A model whose files are missing or damaged lists no variants. */
  async installed(): Promise<InstalledModel[]> {
    const located = (await this.scan()).filter((l) => l.record.complete)
    const models = await Promise.all(located.map((l) => this.describe(l)))
    return models.sort((a, b) => compareText(a.id, b.id) || compareText(b.installedAt, a.installedAt))
  }

  /** Downloads that were paused or interrupted: pull(id) resumes one, discardPartial(id) deletes it. */
  async partialDownloads(): Promise<PartialDownload[]> {
    const result: PartialDownload[] = []
    for (const { record, dir } of await this.scan()) {
      if (!record.pending) continue
      let bytes = 0
      let total: number | undefined = 0
      for (const file of record.pending.files) {
        const full = fileIn(dir, file.path)
        bytes += (await fileSize(full)) ?? (await fileSize(full + PART_SUFFIX)) ?? 0
        total = file.size === undefined || total === undefined ? undefined : total + file.size
      }
      result.push({
        id: record.id,
        repo: record.repo,
        revision: record.revision,
        dir,
        choice: record.pending.choice,
        bytes,
        total,
        startedAt: record.pending.startedAt
      })
    }
    return result
  }

  /** A catalog id, owner/name (optionally @revision) or an installed folder → the installed model. No network. */
  async resolve(ref: string): Promise<InstalledModel | undefined> {
    const matches = await this.matching(await this.parseRef(ref), (r) => r.complete)
    const models = await Promise.all(matches.map((l) => this.describe(l)))
    models.sort(
      (a, b) =>
        Number(b.variants.length > 0) - Number(a.variants.length > 0) ||
        compareText(b.installedAt, a.installedAt)
    )
    return models[0]
  }

  /**
   * Downloads a model from the hub into <root>/models/<owner>/<name>/<commit>/, pinned to one commit. Without
   * `revision`, an installed copy that already has the files answers at once (no network), and a paused
   * download resumes its own commit and choice. Aborting `signal` pauses; pulling again resumes.
   */
  async pull(ref: string, options: PullOptions = {}): Promise<InstalledModel> {
    const target = await this.parseRef(ref, true)
    if (target.kind === 'dir') {
      throw new SmolvlmError(
        'bad-request',
        `"${ref}" is not a catalog id or a hub repository id (owner/name).`
      )
    }
    const repo = target.entry?.repo ?? target.repo
    const explicitRevision = options.revision ?? target.revision
    const mine = (await this.scan()).filter((l) => l.record.repo.toLowerCase() === repo.toLowerCase())
    const paused = mine.find(
      (l) => l.record.pending && (!explicitRevision || this.revisionMatches(l.record, explicitRevision))
    )
    const choice: VariantChoice =
      options.variant ??
      paused?.record.pending?.choice ??
      target.entry?.recommended.cpu ??
      DEFAULT_VARIANT_CHOICE
    const tracker = new PullProgressTracker(options.onProgress, this.progressIntervalMs)

    if (!explicitRevision || isCommitSha(explicitRevision)) {
      const ready = await this.installedWith(mine, choice, explicitRevision)
      if (ready) {
        for (const file of ready.files) tracker.addFile(file.path, file.size, 'done', file.size)
        tracker.identify(ready.repo, ready.revision)
        tracker.setPhase('done')
        return ready
      }
    }

    try {
      const hub = new HubClient(this.hubUrl, { idleTimeoutMs: this.idleTimeoutMs })
      const owned = (await this.sortNewest(mine)).filter(
        (l) => l.record.source !== 'import-in-place' && l.record.complete && l.record.commit
      )
      const pinned = explicitRevision ? undefined : (paused?.record.revision ?? owned[0]?.record.revision)
      tracker.setPhase('resolving')
      let revision: string
      let commit: string | undefined
      if (pinned) {
        revision = pinned
        commit = isCommitSha(pinned) ? pinned : undefined
      } else {
        const requested = explicitRevision ?? 'main'
        const remote = await this.withRetry(
          () => hub.probe(repo, requested, 'config.json', options.signal),
          'config.json',
          tracker,
          options.signal
        )
        if (!remote) {
          throw new SmolvlmError(
            'download-failed',
            `${repo} has no config.json at revision "${requested}" on ${new URL(hub.base).host}: check the repository id and revision.`
          )
        }
        commit = remote.commit && isCommitSha(remote.commit) ? remote.commit : undefined
        revision = commit ?? requested
      }
      tracker.identify(repo, revision)
      const [owner, name] = repo.split('/') as [string, string]
      const dir = path.join(modelsRoot(this.root), owner, name, revisionFolder(revision))
      await mkdir(dir, { recursive: true })
      const release = await acquireLock(dir, repo)
      try {
        return await this.pullInto({
          hub,
          repo,
          entry: target.entry ?? catalogEntryForRepo(repo, this.entries),
          revision,
          commit,
          requested: explicitRevision ?? 'main',
          dir,
          choice,
          tracker,
          signal: options.signal
        })
      } finally {
        await release()
      }
    } catch (error) {
      if (options.signal?.aborted && !(error instanceof SmolvlmError && error.code === 'cancelled')) {
        throw pausedError(repo)
      }
      throw error
    }
  }

  private async pullInto(job: {
    hub: HubClient
    repo: string
    entry: CatalogEntry | undefined
    revision: string
    commit: string | undefined
    requested: string
    dir: string
    choice: VariantChoice
    tracker: PullProgressTracker
    signal: AbortSignal | undefined
  }): Promise<InstalledModel> {
    const { hub, repo, revision, commit, dir, tracker, signal } = job
    const existing = await readRecord(dir)
    const checkCommit = (path: string, remote: RemoteFile) => {
      if (commit && remote.commit && remote.commit !== commit) {
        throw new SmolvlmError(
          'download-failed',
          `The hub described ${path} at commit ${remote.commit.slice(0, 12)} while this download is pinned to ` +
            `${commit.slice(0, 12)}; the repository changed and this server does not serve older commits. ` +
            'Nothing was installed; pull again to start over at the new revision.'
        )
      }
    }

    // Ask the hub about every file before writing a byte: sizes for the disk check, hashes for verification.
    const plan = planFiles(job.choice)
    const remotes = new Map<string, RemoteFile>()
    const found: PlannedFile[] = []
    const missing: string[] = []
    for (const file of plan) tracker.addFile(file.path, 0)
    await mapLimit(plan, PROBE_CONCURRENCY, async (file) => {
      const remote = await this.withRetry(
        () => hub.probe(repo, revision, file.path, signal),
        file.path,
        tracker,
        signal
      )
      if (!remote) {
        if (file.optional) tracker.setState(file.path, 'skipped')
        else missing.push(file.path)
        return
      }
      checkCommit(file.path, remote)
      remotes.set(file.path, remote)
      found.push(file)
      // External weights beside a large ONNX file: onnx_data, onnx_data_1, … until the first 404.
      if (file.session) {
        for (let chunk = 0; chunk < MAX_EXTERNAL_DATA_CHUNKS; chunk++) {
          const dataPath = externalDataName(file.path, chunk)
          const data = await this.withRetry(
            () => hub.probe(repo, revision, dataPath, signal),
            dataPath,
            tracker,
            signal
          )
          if (!data) break
          checkCommit(dataPath, data)
          remotes.set(dataPath, data)
          found.push({ path: dataPath, optional: false, session: file.session, variant: file.variant })
          tracker.addFile(dataPath, 0)
        }
      }
    })
    if (missing.length > 0) {
      const onnx = missing.some((p) => p.startsWith('onnx/'))
      throw new SmolvlmError(
        'download-failed',
        `${repo} at ${shortRevision(revision)} has no ${missing.sort().join(', ')}; ` +
          (onnx
            ? `choose a precision it publishes (--variant; asked for ${describeChoice(job.choice)}).`
            : 'it is not laid out like the official SmolVLM ONNX repositories.')
      )
    }
    // Small files first: a repository that is not a SmolVLM model fails before the large downloads.
    found.sort(
      (a, b) =>
        Number(a.path.startsWith('onnx/')) - Number(b.path.startsWith('onnx/')) || compareText(a.path, b.path)
    )

    // What is already here: recorded files (an installed variant), files verified by an interrupted run of this
    // pull (pending.done), other files in place (renamed by a run that died before recording them), and parts.
    const work: { file: PlannedFile; expected: Expected; dest: string; reuse?: RecordFile }[] = []
    let needed = 0
    for (const file of found) {
      const expected = expectedFor(
        remotes.get(file.path)!,
        job.entry?.knownFiles?.find((k) => k.path === file.path)
      )
      const dest = fileIn(dir, file.path)
      tracker.setTotal(file.path, expected.size ?? 0)
      const recorded =
        existing?.files.find((f) => f.path === file.path) ??
        existing?.pending?.done?.find((f) => f.path === file.path)
      const onDisk = await fileSize(dest)
      const reusable =
        recorded &&
        !existing?.damaged?.includes(file.path) &&
        onDisk === recorded.size &&
        (expected.size === undefined || expected.size === recorded.size) &&
        (!expected.sha256 || expected.sha256 === recorded.sha256)
      if (reusable) {
        work.push({ file, expected, dest, reuse: recorded })
        tracker.addFile(file.path, recorded.size, 'done', recorded.size)
        continue
      }
      const part = (await fileSize(dest + PART_SUFFIX)) ?? 0
      tracker.setBytes(file.path, onDisk ?? part)
      work.push({ file, expected, dest })
      if (expected.size !== undefined) needed += Math.max(0, expected.size - (onDisk ?? part))
    }

    const free = await this.freeDiskBytes(dir)
    if (needed + this.diskReserveBytes > free) {
      throw new SmolvlmError(
        'download-failed',
        `Not enough free disk space for ${repo}: the download needs ${formatBytes(needed)} more (plus ` +
          `${formatBytes(this.diskReserveBytes)} to spare) and ${dir} has ${formatBytes(free)} free. ` +
          'Free up space, or set SMOLVLM_HOME to a folder on a larger disk.'
      )
    }

    const base: StoreRecord = existing ?? {
      format: 1,
      id: job.entry?.id ?? repo,
      repo,
      revision,
      commit,
      source: 'hub',
      hubUrl: hub.base,
      complete: false,
      updatedAt: now(),
      files: []
    }
    const results: RecordFile[] = work.flatMap((w) => (w.reuse ? [w.reuse] : []))
    const pending = (): PendingPull => ({
      choice: job.choice,
      requestedRevision: job.requested,
      startedAt: existing?.pending?.startedAt ?? now(),
      files: work.map((w) => ({ path: w.file.path, size: w.expected.size })),
      done: [...results]
    })
    await writeRecord(dir, { ...base, pending: pending(), updatedAt: now() })

    tracker.setPhase('downloading')
    for (const item of work) {
      if (item.reuse) continue
      const { file, expected, dest } = item
      if (signal?.aborted) throw pausedError(repo)
      // A file in place that no record vouches for: keep it only if it still matches what the hub states.
      if ((await fileSize(dest)) !== undefined) {
        tracker.setState(file.path, 'verifying')
        const sha256 = await sha256File(dest, { signal })
        const size = (await fileSize(dest)) ?? -1
        const same =
          (expected.size === undefined || size === expected.size) &&
          (!expected.sha256 || expected.sha256 === sha256) &&
          (!expected.gitSha1 || expected.gitSha1 === (await gitBlobSha1(dest))) &&
          !existing?.damaged?.includes(file.path)
        if (same) {
          results.push({ path: file.path, size, sha256, basis: expected.basis })
          tracker.setState(file.path, 'done')
          continue
        }
        await rm(dest, { force: true })
      }
      tracker.setState(file.path, 'downloading')
      try {
        const done = await downloadFile({
          hub,
          repo,
          revision,
          commit,
          path: file.path,
          dest,
          expected,
          retry: this.retry,
          signal,
          onBytes: (bytes, received) => tracker.addReceived(file.path, bytes, received),
          onVerifying: () => tracker.setState(file.path, 'verifying'),
          onNotice: (notice: PullNotice) => tracker.notice(notice)
        })
        results.push(done)
        if (expected.size === undefined) tracker.setTotal(file.path, done.size)
        tracker.setState(file.path, 'done')
      } catch (error) {
        tracker.setState(file.path, 'failed')
        throw error
      }
      // Remember each verified file, so a restart does not read it again.
      await writeRecord(dir, { ...base, pending: pending(), updatedAt: now() })
    }

    tracker.setPhase('verifying')
    try {
      await readModelConfig(dir)
    } catch (error) {
      throw new SmolvlmError(
        'model-corrupt',
        `${repo} was downloaded to ${dir}, but it is not usable as a SmolVLM model: ` +
          `${error instanceof Error ? error.message : String(error)}`,
        { cause: error }
      )
    }
    const replaced = new Set(results.map((f) => f.path))
    const files = [...base.files.filter((f) => !replaced.has(f.path)), ...results].sort((a, b) =>
      compareText(a.path, b.path)
    )
    const damaged = (base.damaged ?? []).filter((p) => !replaced.has(p))
    const record: StoreRecord = {
      ...base,
      pending: undefined,
      damaged: damaged.length > 0 ? damaged : undefined,
      complete: true,
      installedAt: base.installedAt ?? now(),
      updatedAt: now(),
      files
    }
    await writeRecord(dir, record)
    tracker.setPhase('done')
    return this.describe({ record, recordDir: dir, dir })
  }

  /** Checks every recorded file's size and sha256 (reading all of it); remembers what failed. */
  async verify(
    ref: string,
    options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}
  ): Promise<VerifyReport> {
    const target = await this.parseRef(ref)
    const located = await this.matching(target, (r) => r.complete)
    if (located.length === 0) {
      if (target.kind === 'repo') {
        throw new SmolvlmError('model-missing', `${ref} is not installed; run: smolvlm models pull ${ref}`)
      }
      return this.verifyFolder(target.dir, options)
    }
    const newest = (await this.sortNewest(located))[0]!
    const { record, recordDir, dir } = newest
    const files: VerifyReport['files'] = []
    for (const file of record.files) {
      const full = fileIn(dir, file.path)
      const size = await fileSize(full)
      if (size === undefined) files.push({ path: file.path, status: 'missing', expected: file.sha256 })
      else if (size !== file.size) {
        files.push({
          path: file.path,
          status: 'size-mismatch',
          expected: String(file.size),
          actual: String(size)
        })
      } else {
        const actual = await sha256File(full, options)
        files.push({
          path: file.path,
          status: actual === file.sha256 ? 'ok' : 'sha-mismatch',
          expected: file.sha256,
          actual
        })
      }
    }
    const damaged = files.filter((f) => f.status !== 'ok').map((f) => f.path)
    const fresh = (await readRecord(recordDir)) ?? record
    await writeRecord(recordDir, {
      ...fresh,
      damaged: damaged.length > 0 ? damaged : undefined,
      verifiedAt: now(),
      updatedAt: now()
    })
    return { ok: damaged.length === 0, dir, id: record.id, files }
  }

  /** A folder the store does not know: are the engine's files there, and do they match anything that states a hash? */
  private async verifyFolder(
    dir: string,
    options: { signal?: AbortSignal; onBytes?: (n: number) => void }
  ): Promise<VerifyReport> {
    if (!(await isDirectory(dir)))
      throw new SmolvlmError('model-missing', `${dir} is not installed and is not a folder.`)
    const identity = identifyFolder(dir, undefined)
    const contents = await listFolder(dir)
    await hashFolder(dir, contents.files, {
      signal: options.signal,
      onBytes: (_file, n) => options.onBytes?.(n)
    })
    applyManifest(
      contents.files,
      identity.repo ?? recognizeByManifest(contents.files, this.entries)?.repo,
      this.entries
    )
    judge(contents.files)
    const files: VerifyReport['files'] = [
      ...contents.missing.map((p) => ({ path: p, status: 'missing' as const })),
      ...contents.files.map((f) => ({
        path: f.path,
        status: f.status!,
        expected: f.expected,
        actual: f.sha256
      }))
    ]
    return { ok: files.every((f) => f.status === 'ok' || f.status === 'unverified'), dir, files }
  }

  /** Deletes an installed model (every revision of it, unless the ref names one) and its paused downloads. */
  async remove(ref: string): Promise<void> {
    const located = await this.matching(await this.parseRef(ref), () => true)
    if (located.length === 0) throw new SmolvlmError('model-missing', `${ref} is not installed.`)
    for (const l of located) {
      const holder = await lockHolder(l.recordDir)
      if (holder) {
        throw new SmolvlmError(
          'bad-request',
          `${l.record.id} is being downloaded (process ${holder.pid}); pause the download before removing it.`
        )
      }
    }
    for (const l of located) {
      // In place: only the store's record goes; the user's folder stays untouched.
      await rm(l.recordDir, { recursive: true, force: true })
      await this.pruneEmpty(path.dirname(l.recordDir))
    }
  }

  /** Deletes what a paused download left (its .part files and unrecorded files); the installed files stay. */
  async discardPartial(ref: string): Promise<void> {
    const located = (await this.matching(await this.parseRef(ref), (r) => r.pending !== undefined)).filter(
      (l) => l.record.source !== 'import-in-place'
    )
    for (const l of located) {
      if (await lockHolder(l.recordDir)) {
        throw new SmolvlmError(
          'bad-request',
          `${l.record.id} is being downloaded; pause it before discarding it.`
        )
      }
      if (!l.record.complete) {
        await rm(l.recordDir, { recursive: true, force: true })
        await this.pruneEmpty(path.dirname(l.recordDir))
        continue
      }
      const keep = new Set(l.record.files.map((f) => f.path))
      for (const file of l.record.pending?.files ?? []) {
        if (!keep.has(file.path)) await rm(fileIn(l.dir, file.path), { force: true })
        await rm(fileIn(l.dir, file.path) + PART_SUFFIX, { force: true })
      }
      await writeRecord(l.recordDir, { ...l.record, pending: undefined, updatedAt: now() })
    }
  }

  /**
   * Adds a folder laid out like the hub repository. Its files are hashed (and, for a copy, copied in the same
   * pass) and checked against whatever states a hash: a Hugging Face cache snapshot's blob names, or the
   * catalog's manifest when the folder is (or claims to be) a catalog model. A mismatch installs nothing.
   */
  async importFolder(
    dir: string,
    options: {
      mode: 'in-place' | 'copy'
      repo?: string
      signal?: AbortSignal
      onProgress?: (p: { file: string; bytes: number; total: number }) => void
    }
  ): Promise<InstalledModel> {
    const source = path.resolve(dir)
    if (!(await isDirectory(source))) throw new SmolvlmError('model-missing', `${dir} is not a folder.`)
    const identity = identifyFolder(source, options.repo)
    const contents = await listFolder(source)
    if (contents.missing.length > 0) {
      throw new SmolvlmError(
        'model-missing',
        `${source} cannot be imported: it has no ${contents.missing.join(', ')}. ` +
          'A model folder is laid out like the hub repository (config files at the top, onnx/ below).'
      )
    }
    await readModelConfig(source)
    const total = contents.files.reduce((sum, f) => sum + f.size, 0)
    let bytes = 0
    const onBytes = (file: string, n: number) => {
      bytes += n
      options.onProgress?.({ file, bytes, total })
    }

    let staging: string | undefined
    try {
      if (options.mode === 'copy') {
        await mkdir(path.join(this.root, 'tmp'), { recursive: true })
        const free = await this.freeDiskBytes(path.join(this.root, 'tmp'))
        if (total + this.diskReserveBytes > free) {
          throw new SmolvlmError(
            'download-failed',
            `Not enough free disk space to copy ${source}: it needs ${formatBytes(total)} and the store has ` +
              `${formatBytes(free)} free. Import it in place instead, or free up space.`
          )
        }
        staging = path.join(this.root, 'tmp', `import-${randomBytes(6).toString('hex')}`)
        await hashFolder(source, contents.files, { copyTo: staging, signal: options.signal, onBytes })
      } else {
        await hashFolder(source, contents.files, { signal: options.signal, onBytes })
      }
      const recognized = identity.repo ? undefined : recognizeByManifest(contents.files, this.entries)
      const repo = identity.repo ?? recognized?.repo ?? `local/${localName(source)}`
      applyManifest(contents.files, identity.repo ?? recognized?.repo, this.entries)
      judge(contents.files)
      const bad = contents.files.filter((f) => f.status === 'sha-mismatch')
      if (bad.length > 0) {
        throw new SmolvlmError(
          'model-corrupt',
          `${source} cannot be imported: ${bad.map((f) => f.path).join(', ')} ` +
            `${bad.length === 1 ? 'does' : 'do'} not match the published ${repo} file` +
            `${bad.length === 1 ? '' : 's'} (sha256). Download ${bad.length === 1 ? 'it' : 'them'} again, ` +
            'or import with another --repo if this is a fine-tune.'
        )
      }
      const revision = identity.revision ?? `local-${contentId(contents.files)}`
      const entry = catalogEntryForRepo(repo, this.entries)
      const recordFiles: RecordFile[] = contents.files
        .map((f) => ({
          path: f.path,
          size: f.size,
          sha256: f.sha256!,
          basis: f.expected ? f.basis : ('none' as const)
        }))
        .sort((a, b) => compareText(a.path, b.path))
      const [owner, name] = repo.split('/') as [string, string]
      const inPlace = options.mode === 'in-place'
      const recordDir = path.join(
        inPlace ? importsRoot(this.root) : modelsRoot(this.root),
        owner,
        name,
        revisionFolder(revision)
      )
      const existing = await readRecord(recordDir)
      if (!inPlace && existing && (await lockHolder(recordDir))) {
        throw new SmolvlmError(
          'bad-request',
          `${repo} is being downloaded into ${recordDir}; wait for it to finish.`
        )
      }
      let files = recordFiles
      if (!inPlace) {
        await mkdir(recordDir, { recursive: true })
        // Each file is renamed into place whole; the record, written last, makes the model count.
        for (const file of recordFiles) {
          const dest = fileIn(recordDir, file.path)
          await mkdir(path.dirname(dest), { recursive: true })
          await rename(fileIn(staging!, file.path), dest)
        }
        const replaced = new Set(recordFiles.map((f) => f.path))
        files = [
          ...(existing?.complete ? existing.files.filter((f) => !replaced.has(f.path)) : []),
          ...recordFiles
        ].sort((a, b) => compareText(a.path, b.path))
      }
      const record: StoreRecord = {
        format: 1,
        id: entry?.id ?? repo,
        repo: entry?.repo ?? repo,
        revision,
        commit: isCommitSha(revision) ? revision : undefined,
        source: inPlace ? 'import-in-place' : existing?.complete ? existing.source : 'import-copy',
        location: inPlace ? source : undefined,
        complete: true,
        installedAt: existing?.installedAt ?? now(),
        updatedAt: now(),
        verifiedAt: now(),
        files,
        pending: inPlace ? undefined : existing?.pending
      }
      await mkdir(recordDir, { recursive: true })
      await writeRecord(recordDir, record)
      return this.describe({ record, recordDir, dir: inPlace ? source : recordDir })
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true })
    }
  }

  /** Bytes the store holds on disk: model folders (complete or partial) and leftovers; in-place imports cost 0. */
  async diskUsage(): Promise<DiskUsage> {
    const models: DiskUsage['models'] = []
    const base = modelsRoot(this.root)
    for (const owner of await subfolders(base)) {
      for (const name of await subfolders(path.join(base, owner))) {
        for (const rev of await subfolders(path.join(base, owner, name))) {
          const dir = path.join(base, owner, name, rev)
          const record = await readRecord(dir)
          models.push({
            id: record?.id ?? `${owner}/${name}`,
            revision: record?.revision ?? decodeURIComponent(rev),
            dir,
            bytes: await folderBytes(dir),
            complete: record?.complete ?? false
          })
        }
      }
    }
    const leftovers = await folderBytes(path.join(this.root, 'tmp'))
    return { bytes: models.reduce((sum, m) => sum + m.bytes, 0) + leftovers, models }
  }

  // ---------------------------------------------------------------------------------------------------------

  private async parseRef(ref: string, forPull = false): Promise<Ref> {
    const at = ref.lastIndexOf('@')
    const base = at > 0 ? ref.slice(0, at) : ref
    const revision = at > 0 ? ref.slice(at + 1) : undefined
    const entry = this.entries.find((e) => e.id === base.toLowerCase())
    if (entry) return { kind: 'repo', repo: entry.repo, entry, revision }
    if (isRepoId(base) && (forPull || !(await isDirectory(ref)))) {
      return { kind: 'repo', repo: base, entry: catalogEntryForRepo(base, this.entries), revision }
    }
    return { kind: 'dir', dir: path.resolve(ref) }
  }

  private revisionMatches(record: StoreRecord, revision: string): boolean {
    return (
      record.revision === revision ||
      record.commit === revision ||
      record.pending?.requestedRevision === revision
    )
  }

  private async matching(ref: Ref, filter: (record: StoreRecord) => boolean): Promise<Located[]> {
    return (await this.scan()).filter((l) => {
      if (!filter(l.record)) return false
      if (ref.kind === 'dir') return path.resolve(l.dir) === ref.dir || l.recordDir === ref.dir
      if (l.record.repo.toLowerCase() !== ref.repo.toLowerCase()) return false
      return (
        ref.revision === undefined || l.record.revision === ref.revision || l.record.commit === ref.revision
      )
    })
  }

  private async sortNewest(located: Located[]): Promise<Located[]> {
    return [...located].sort((a, b) => compareText(b.record.installedAt ?? '', a.record.installedAt ?? ''))
  }

  /** Every record under <root>/models and <root>/imports. */
  private async scan(): Promise<Located[]> {
    const found: Located[] = []
    for (const base of [modelsRoot(this.root), importsRoot(this.root)]) {
      for (const owner of await subfolders(base)) {
        for (const name of await subfolders(path.join(base, owner))) {
          for (const rev of await subfolders(path.join(base, owner, name))) {
            const recordDir = path.join(base, owner, name, rev)
            const record = await readRecord(recordDir)
            if (record) found.push({ record, recordDir, dir: record.location ?? recordDir })
          }
        }
      }
    }
    return found
  }

  /** The newest installed copy of these records that has every file of `choice` intact, if any. */
  private async installedWith(
    located: Located[],
    choice: VariantChoice,
    revision: string | undefined
  ): Promise<InstalledModel | undefined> {
    const sessions = resolveVariants(choice)
    for (const l of await this.sortNewest(located)) {
      if (!l.record.complete) continue
      if (revision && !this.revisionMatches(l.record, revision)) continue
      const model = await this.describe(l)
      if (SESSION_NAMES.every((s) => model.sessionVariants[s].includes(sessions[s]))) return model
    }
    return undefined
  }

  /** A record as the API shows it; checks presence and sizes (no hashing) and the last verify's findings. */
  private async describe({ record, dir }: Located): Promise<InstalledModel> {
    const problems: string[] = []
    const intact = new Set<string>()
    for (const file of record.files) {
      if (record.damaged?.includes(file.path)) {
        problems.push(`${file.path} failed the last integrity check.`)
        continue
      }
      const size = await fileSize(fileIn(dir, file.path))
      if (size === undefined) problems.push(`${file.path} is missing.`)
      else if (size !== file.size) problems.push(`${file.path} has ${size} bytes instead of ${file.size}.`)
      else intact.add(file.path)
    }
    const onnx = (p: string) => p.startsWith('onnx/')
    const configsIntact = record.files.filter((f) => !onnx(f.path)).every((f) => intact.has(f.path))
    const sessionVariants = { vision_encoder: [], embed_tokens: [], decoder_model_merged: [] } as Record<
      SessionName,
      Variant[]
    >
    if (configsIntact) {
      for (const session of SESSION_NAMES) {
        for (const variant of VARIANTS) {
          const file = onnxFileName(session, variant)
          const data = record.files.filter((f) => f.path.startsWith(`${file}_data`))
          if (intact.has(file) && data.every((f) => intact.has(f.path)))
            sessionVariants[session].push(variant)
        }
      }
    }
    return {
      id: record.id,
      repo: record.repo,
      revision: record.revision,
      dir,
      variants: VARIANTS.filter((v) => sessionVariantsFor(v, sessionVariants) !== undefined),
      sessionVariants,
      sizeBytes: record.files.reduce((sum, f) => sum + f.size, 0),
      source: record.source,
      files: record.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, basis: f.basis })),
      installedAt: record.installedAt ?? record.updatedAt,
      problems
    }
  }

  /** Probes with retries (transient failures only); reports each retry as a notice. */
  private async withRetry<T>(
    attempt: () => Promise<T>,
    file: string,
    tracker: PullProgressTracker,
    signal: AbortSignal | undefined
  ): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await attempt()
      } catch (error) {
        if (signal?.aborted || !(error instanceof TransientError)) throw error
        if (failures >= this.retry.attempts) {
          throw new SmolvlmError(
            'download-failed',
            `Could not reach the hub for ${file} (${error.message}) after ${failures} attempts; check the ` +
              'connection (or SMOLVLM_HUB_URL) and pull again.',
            { cause: error }
          )
        }
        const delayMs = backoffMs(failures, this.retry, error.retryAfterMs)
        tracker.notice({ kind: 'retry', file, attempt: failures + 1, delayMs, reason: error.message })
        await sleep(delayMs, signal)
      }
    }
  }

  private async pruneEmpty(dir: string): Promise<void> {
    const roots = new Set([modelsRoot(this.root), importsRoot(this.root)])
    let current = dir
    while (!roots.has(current) && current.startsWith(this.root)) {
      try {
        await rmdir(current)
      } catch {
        return
      }
      current = path.dirname(current)
    }
  }
}

/** A folder name as a repository name: "My Model (copy)" → "My-Model-copy". */
function localName(dir: string): string {
  const cleaned = path
    .basename(dir)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '')
  return cleaned.slice(0, 96) || 'model'
}

/** A short id for a folder's content, so importing the same files twice lands in the same place. */
function contentId(files: readonly FolderFile[]): string {
  const lines = files.map((f) => `${f.path} ${f.sha256}`).sort()
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 12)
}
