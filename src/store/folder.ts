import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { lstat, mkdir, readdir, readlink, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import { SmolvlmError } from '../engine/errors.ts'
import { onnxFileName, SESSION_NAMES, VARIANTS } from '../engine/model-files.ts'
import type { SessionName, Variant } from '../engine/model-files.ts'
import type { CatalogEntry } from './catalog.ts'
import { catalogEntryForRepo } from './catalog.ts'
import { hashFile } from './hashing.ts'
import {
  externalDataName,
  fileIn,
  isCommitSha,
  isRepoId,
  MAX_EXTERNAL_DATA_CHUNKS,
  OPTIONAL_CONFIG_FILES,
  REQUIRED_CONFIG_FILES
} from './layout.ts'
import type { VerificationBasis, VerifyStatus } from './types.ts'

/**
 * A model folder the store did not download (a user's own copy, a Hugging Face cache snapshot): which of the
 * files the engine uses are there, what they should hash to where anything says so, and what they do hash to.
 */

export interface FolderFile {
  readonly path: string
  readonly size: number
  /** sha256 stated by someone other than the file itself: a HF cache blob name, or the catalog's manifest. */
  expected?: string
  basis: VerificationBasis
  sha256?: string
  status?: VerifyStatus
}

export interface FolderIdentity {
  /** owner/name when known (given, or read from a HF cache path), else undefined. */
  repo: string | undefined
  /** The commit sha of a HF cache snapshot folder. */
  revision: string | undefined
}

/** `.../models--Owner--Name/snapshots/<sha>` is how huggingface_hub lays out its cache. */
export function identifyFolder(dir: string, repoHint: string | undefined): FolderIdentity {
  const snapshot = path.basename(dir)
  const parent = path.basename(path.dirname(dir))
  const cacheName = /^models--([^-].*?)--(.+)$/.exec(path.basename(path.dirname(path.dirname(dir))))
  const fromCache =
    parent === 'snapshots' && isCommitSha(snapshot) && cacheName
      ? `${cacheName[1]}/${cacheName[2]}`
      : undefined
  if (repoHint !== undefined && !isRepoId(repoHint)) {
    throw new SmolvlmError('bad-request', `"${repoHint}" is not a hub repository id (owner/name).`)
  }
  const repo = repoHint ?? (fromCache && isRepoId(fromCache) ? fromCache : undefined)
  return { repo, revision: fromCache ? snapshot : undefined }
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file)
    return info.isFile() ? info.size : undefined
  } catch {
    return undefined
  }
}

/** A HF cache snapshot links each file to ../../blobs/<sha256> (LFS files) or <git sha1> (small files). */
async function cacheBlobSha256(file: string): Promise<string | undefined> {
  try {
    if (!(await lstat(file)).isSymbolicLink()) return undefined
    const name = path.basename(await readlink(file))
    return /^[0-9a-f]{64}$/.test(name) ? name : undefined
  } catch {
    return undefined
  }
}

export interface FolderContents {
  readonly files: FolderFile[]
  /** Required files that are absent (repository paths, or onnx/<session>*.onnx for a session with no file). */
  readonly missing: string[]
  readonly sessionVariants: Record<SessionName, Variant[]>
}

/** Lists the files of a folder that the engine can use; hashes nothing. */
export async function listFolder(dir: string): Promise<FolderContents> {
  const files: FolderFile[] = []
  const missing: string[] = []
  const add = async (repoPath: string): Promise<boolean> => {
    const full = fileIn(dir, repoPath)
    const size = await fileSize(full)
    if (size === undefined) return false
    const blob = await cacheBlobSha256(full)
    files.push({ path: repoPath, size, expected: blob, basis: blob ? 'hf-cache' : 'none' })
    return true
  }
  for (const name of REQUIRED_CONFIG_FILES) if (!(await add(name))) missing.push(name)
  for (const name of OPTIONAL_CONFIG_FILES) await add(name)
  const sessionVariants = { vision_encoder: [], embed_tokens: [], decoder_model_merged: [] } as Record<
    SessionName,
    Variant[]
  >
  let onnxNames: Set<string>
  try {
    onnxNames = new Set(await readdir(path.join(dir, 'onnx')))
  } catch {
    onnxNames = new Set()
  }
  for (const session of SESSION_NAMES) {
    for (const variant of VARIANTS) {
      const repoPath = onnxFileName(session, variant)
      if (!onnxNames.has(path.posix.basename(repoPath)) || !(await add(repoPath))) continue
      sessionVariants[session].push(variant)
      for (let chunk = 0; chunk < MAX_EXTERNAL_DATA_CHUNKS; chunk++) {
        if (!(await add(externalDataName(repoPath, chunk)))) break
      }
    }
    if (sessionVariants[session].length === 0) missing.push(`onnx/${session}*.onnx`)
  }
  return { files, missing, sessionVariants }
}

/** Which catalog entry an unnamed folder is a copy of: one whose manifest has an ONNX file with the same hash. */
export function recognizeByManifest(
  files: readonly FolderFile[],
  catalog: readonly CatalogEntry[]
): CatalogEntry | undefined {
  return catalog.find((entry) =>
    files.some(
      (file) => file.sha256 && entry.knownFiles?.some((k) => k.path === file.path && k.sha256 === file.sha256)
    )
  )
}

/** Fills in each file's expected hash from the manifest of the folder's repository, when it has one. */
export function applyManifest(
  files: FolderFile[],
  repo: string | undefined,
  catalog: readonly CatalogEntry[]
): void {
  const entry = repo ? catalogEntryForRepo(repo, catalog) : undefined
  for (const file of files) {
    if (file.expected) continue
    const known = entry?.knownFiles?.find((k) => k.path === file.path)
    if (known) {
      file.expected = known.sha256
      file.basis = 'manifest'
    }
  }
}

/** Hashes every listed file, optionally copying it to `copyTo` in the same pass (one read of each file). */
export async function hashFolder(
  dir: string,
  files: FolderFile[],
  options: { copyTo?: string; signal?: AbortSignal; onBytes?: (file: string, n: number) => void } = {}
): Promise<void> {
  for (const file of files) {
    const source = fileIn(dir, file.path)
    if (!options.copyTo) {
      file.sha256 = (
        await hashFile(source, { signal: options.signal, onBytes: (n) => options.onBytes?.(file.path, n) })
      ).digest('hex')
      continue
    }
    const dest = fileIn(options.copyTo, file.path)
    await mkdir(path.dirname(dest), { recursive: true })
    const hash = createHash('sha256')
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk)
        options.onBytes?.(file.path, chunk.length)
        callback(null, chunk)
      }
    })
    await pipeline(createReadStream(source), tap, createWriteStream(dest), { signal: options.signal })
    file.sha256 = hash.digest('hex')
  }
}

/** Sets each hashed file's status against its expectation: ok, sha-mismatch or (nothing to compare) unverified. */
export function judge(files: FolderFile[]): void {
  for (const file of files) {
    if (!file.expected) file.status = 'unverified'
    else file.status = file.sha256 === file.expected ? 'ok' : 'sha-mismatch'
  }
}
