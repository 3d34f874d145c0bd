import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SmolvlmError } from '../../src/engine/errors.ts'
import { formatBytes } from '../../src/store/index.ts'
import type { CatalogEntry } from '../../src/store/index.ts'
import { Q4_FILES, tinyRepoFiles } from './fake-repo.ts'
import { harness, recorder, REPO, sha256Of } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { sha256 } from './hub-server.ts'

const DECODER = 'onnx/decoder_model_merged_q4.onnx'

let h: Harness
let files: Record<string, Buffer>
let commit: string

beforeEach(async () => {
  h = await harness()
  files = tinyRepoFiles()
  commit = h.hub.addCommit(REPO, files)
})

afterEach(async () => {
  await h.cleanup()
})

async function rejection(promise: Promise<unknown>): Promise<SmolvlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(SmolvlmError)
  return error as SmolvlmError
}

function partsUnder(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).then((names) => names.filter((n) => n.endsWith('.part')))
}

describe('pull', () => {
  it('installs every file of the variant under <root>/models/<owner>/<name>/<commit>, byte for byte', async () => {
    const model = await h.store().pull(REPO, { variant: 'q4' })
    expect(model.dir).toBe(path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit))
    expect(model.revision).toBe(commit)
    expect(model.source).toBe('hub')
    expect(model.variants).toEqual(['q4'])
    expect(model.files.map((f) => f.path)).toEqual(Q4_FILES)
    for (const file of model.files) {
      expect(await sha256Of(model.dir, file.path)).toBe(sha256(files[file.path]!))
      expect(file.sha256).toBe(sha256(files[file.path]!))
      expect(file.size).toBe(files[file.path]!.length)
    }
    expect(await partsUnder(h.root)).toEqual([])
  })

  it('records LFS files as checked against X-Linked-Etag and small files against their git blob ETag', async () => {
    const model = await h.store().pull(REPO, { variant: 'q4' })
    expect(model.files.find((f) => f.path === DECODER)?.basis).toBe('hub-sha256')
    expect(model.files.find((f) => f.path === 'config.json')?.basis).toBe('hub-git-sha1')
  })

  it('follows the LFS redirect to the second path for the bytes', async () => {
    await h.store().pull(REPO, { variant: 'q4' })
    expect(h.hub.gets(DECODER).map((r) => r.url)).toEqual([`/cdn/test%2Ftiny-smolvlm/${commit}/${DECODER}`])
  })

  it('requests every file by the commit sha that X-Repo-Commit named, not by the branch', async () => {
    await h.store().pull(REPO, { variant: 'q4' })
    const revisions = new Set(
      h.hub.requests.filter((r) => r.url.includes('/resolve/')).map((r) => r.revision)
    )
    expect([...revisions].sort()).toEqual([commit, 'main'].sort())
    const byBranch = h.hub.requests.filter((r) => r.revision === 'main')
    expect(byBranch.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD config.json'])
  })

  it('skips optional files the hub answers 404 for (added_tokens.json, chat_template.jinja, .onnx_data)', async () => {
    const { events, onProgress } = recorder()
    await h.store().pull(REPO, { variant: 'q4', onProgress })
    const last = events.at(-1)!
    expect(last.phase).toBe('done')
    const skipped = last.files.filter((f) => f.state === 'skipped').map((f) => f.path)
    expect(skipped.sort()).toEqual(['added_tokens.json', 'chat_template.jinja'])
    expect(last.files.filter((f) => f.state !== 'skipped').every((f) => f.state === 'done')).toBe(true)
  })

  it('downloads external data beside an ONNX file when the hub has it', async () => {
    const withData = tinyRepoFiles({ externalData: true })
    h.hub.addCommit(REPO, withData)
    const model = await h.store().pull(REPO, { variant: 'fp32' })
    expect(model.variants).toEqual(['fp32'])
    expect(await sha256Of(model.dir, 'onnx/decoder_model_merged.onnx_data')).toBe(
      sha256(withData['onnx/decoder_model_merged.onnx_data']!)
    )
  })

  it('reports progress from resolving through done, ending with all bytes of the total', async () => {
    const { events, onProgress } = recorder()
    await h.store().pull(REPO, { variant: 'q4', onProgress })
    const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1])
    expect(phases).toEqual(['resolving', 'downloading', 'verifying', 'done'])
    const total = Q4_FILES.reduce((sum, p) => sum + files[p]!.length, 0)
    expect(events.at(-1)).toMatchObject({ bytes: total, total, etaSeconds: 0, revision: commit, repo: REPO })
    const decoder = events
      .filter((e) => e.file === DECODER)
      .map((e) => e.files.find((f) => f.path === DECODER)!.bytes)
    expect(decoder.length).toBeGreaterThan(1)
    expect(decoder).toEqual([...decoder].sort((a, b) => a - b))
  })

  it('resumes a file with Range after the connection is cut mid-file', async () => {
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 200_000 })
    const { events, onProgress } = recorder()
    const model = await h.store().pull(REPO, { variant: 'q4', onProgress })
    const retry = events.find((e) => e.notice)?.notice
    expect(retry).toMatchObject({ kind: 'retry', file: DECODER, attempt: 2 })
    // What reached the disk before the cut (at most the 200000 bytes sent) is asked for no more.
    const kept = retry?.kind === 'retry' ? retry.offset : -1
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThanOrEqual(200_000)
    expect(h.hub.gets(DECODER).map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`])
    expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
  })

  it('treats a connection that goes silent as dropped, and resumes it', async () => {
    h.hub.inject({ kind: 'stall', path: DECODER, afterBytes: 150_000 })
    const { events, onProgress } = recorder()
    const model = await h.store({ idleTimeoutMs: 150 }).pull(REPO, { variant: 'q4', onProgress })
    expect(events.find((e) => e.notice)?.notice).toMatchObject({ kind: 'retry', file: DECODER, attempt: 2 })
    expect(h.hub.gets(DECODER)[1]?.range).toMatch(/^bytes=\d+-$/)
    expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
  })

  it('starts a file again from zero when the server ignores Range', async () => {
    const h2 = await harness({ honorRange: false })
    try {
      h2.hub.addCommit(REPO, files)
      h2.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 200_000 })
      const model = await h2.store().pull(REPO, { variant: 'q4' })
      expect(h2.hub.gets(DECODER)[1]?.range).toMatch(/^bytes=\d+-$/)
      expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
    } finally {
      await h2.cleanup()
    }
  })

  it('asks for the first byte instead when the server refuses HEAD', async () => {
    const h2 = await harness({ head: false })
    try {
      h2.hub.addCommit(REPO, files)
      const model = await h2.store().pull(REPO, { variant: 'q4' })
      expect(model.files.find((f) => f.path === DECODER)).toMatchObject({
        basis: 'hub-sha256',
        size: files[DECODER]!.length
      })
      expect(model.files.find((f) => f.path === 'config.json')?.basis).toBe('hub-git-sha1')
    } finally {
      await h2.cleanup()
    }
  })

  it('retries after 5xx answers and then succeeds', async () => {
    h.hub.inject({ kind: 'status', path: DECODER, status: 503, times: 2 })
    h.hub.inject({ kind: 'status', path: 'config.json', status: 502, method: 'HEAD' })
    const model = await h.store().pull(REPO, { variant: 'q4' })
    expect(h.hub.gets(DECODER)).toHaveLength(1)
    expect(
      h.hub.requests.filter((r) => r.method === 'GET' && r.path === DECODER && r.url.includes('/resolve/'))
    ).toHaveLength(3)
    expect(model.variants).toEqual(['q4'])
  })

  it('gives up after the retry budget with download-failed and keeps the part for later', async () => {
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 100_000, times: 10 })
    const error = await rejection(h.store().pull(REPO, { variant: 'q4' }))
    expect(error.code).toBe('download-failed')
    expect(error.message).toContain(DECODER)
    expect(error.message).toContain('pull again to resume')
    expect(await partsUnder(h.root)).toEqual([
      `models/test/tiny-smolvlm/${commit}/${DECODER}.part`.split('/').join(path.sep)
    ])
  })

  it('rejects a file whose bytes do not match X-Linked-Etag, and installs nothing', async () => {
    h.hub.inject({ kind: 'corrupt', path: DECODER })
    const store = h.store()
    const error = await rejection(store.pull(REPO, { variant: 'q4' }))
    expect(error.code).toBe('download-failed')
    expect(error.message).toMatch(/onnx\/decoder_model_merged_q4\.onnx .*failed its integrity check \(sha256/)
    const dir = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit)
    expect(existsSync(path.join(dir, DECODER))).toBe(false)
    expect(existsSync(path.join(dir, DECODER + '.part'))).toBe(false)
    expect(await store.installed()).toEqual([])
    expect(await store.resolve(REPO)).toBeUndefined()
  })

  it('rejects a small file whose bytes do not match its git blob ETag', async () => {
    h.hub.inject({ kind: 'corrupt', path: 'config.json' })
    const error = await rejection(h.store().pull(REPO, { variant: 'q4' }))
    expect(error.message).toMatch(/config\.json .*failed its integrity check \(git blob/)
  })

  it('names the missing files and suggests another variant when the hub lacks a precision', async () => {
    const error = await rejection(h.store().pull(REPO, { variant: 'fp16' }))
    expect(error.code).toBe('download-failed')
    expect(error.message).toBe(
      `${REPO} at ${commit.slice(0, 12)} has no onnx/decoder_model_merged_fp16.onnx, onnx/embed_tokens_fp16.onnx, ` +
        'onnx/vision_encoder_fp16.onnx; choose a precision it publishes (--variant; asked for fp16).'
    )
  })

  it('says when the repository does not exist', async () => {
    const error = await rejection(h.store().pull('nobody/nothing', { variant: 'q4' }))
    expect(error.code).toBe('download-failed')
    expect(error.message).toContain('nobody/nothing')
  })

  it('refuses to start when the disk lacks the space, before downloading a byte', async () => {
    const store = h.store({ freeDiskBytes: async () => 500_000, diskReserveBytes: 0 })
    const error = await rejection(store.pull(REPO, { variant: 'q4' }))
    expect(error.code).toBe('download-failed')
    const needed = Q4_FILES.reduce((sum, p) => sum + files[p]!.length, 0)
    expect(error.message).toMatch(
      new RegExp(
        `^Not enough free disk space for test/tiny-smolvlm: the download needs ${formatBytes(needed)} more`
      )
    )
    expect(error.message).toContain('has 500.0 KB free')
    expect(h.hub.requests.filter((r) => r.method === 'GET')).toEqual([])
  })

  it('counts bytes already downloaded (finished files and .part files) when checking the free space', async () => {
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 500_000 })
    await rejection(h.store({ retry: { attempts: 1, baseDelayMs: 1 } }).pull(REPO, { variant: 'q4' }))
    const part = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit, DECODER + '.part')
    // Small files come first, then onnx/ in name order: the decoder was cut, embed and vision never started.
    const needed =
      files[DECODER]!.length -
      (await stat(part)).size +
      files['onnx/embed_tokens_q4.onnx']!.length +
      files['onnx/vision_encoder_q4.onnx']!.length
    const short = await rejection(h.store({ freeDiskBytes: async () => needed - 1 }).pull(REPO))
    expect(short.message).toContain(`needs ${formatBytes(needed)} more`)
    const model = await h.store({ freeDiskBytes: async () => needed }).pull(REPO)
    expect(model.variants).toEqual(['q4'])
  })
})

describe('pause, restart and resume', () => {
  it('pauses when the signal aborts, keeping the part, and resumes it with Range on the next pull', async () => {
    const store = h.store()
    const controller = new AbortController()
    let partial = 0
    const error = await rejection(
      store.pull(REPO, {
        variant: 'q4',
        signal: controller.signal,
        onProgress: (p) => {
          const decoder = p.files.find((f) => f.path === DECODER)
          if (decoder && decoder.state === 'downloading' && decoder.bytes > 0 && !controller.signal.aborted) {
            partial = decoder.bytes
            controller.abort()
          }
        }
      })
    )
    expect(error.code).toBe('cancelled')
    expect(error.message).toBe(
      `The download of ${REPO} was paused; pull it again to resume where it stopped.`
    )
    const part = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit, DECODER + '.part')
    const kept = (await stat(part)).size
    expect(kept).toBeGreaterThanOrEqual(partial)
    expect(kept).toBeLessThan(files[DECODER]!.length)
    expect(await store.partialDownloads()).toMatchObject([{ id: REPO, revision: commit, choice: 'q4' }])

    const { events, onProgress } = recorder()
    const model = await store.pull(REPO, { onProgress })
    expect(h.hub.gets(DECODER).at(-1)?.range).toBe(`bytes=${kept}-`)
    expect(events.find((e) => e.notice?.kind === 'resume')?.notice).toEqual({
      kind: 'resume',
      file: DECODER,
      offset: kept
    })
    expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
    expect(await store.partialDownloads()).toEqual([])
  })

  it('resumes from the .part after an app restart (a new store on the same root), with the right sha256', async () => {
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 300_000 })
    await rejection(h.store({ retry: { attempts: 1, baseDelayMs: 1 } }).pull(REPO, { variant: 'q4' }))
    const part = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit, DECODER + '.part')
    const kept = (await stat(part)).size
    expect(kept).toBeGreaterThan(0)

    const restarted = h.store()
    const model = await restarted.pull(REPO)
    expect(h.hub.gets(DECODER).map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`])
    expect(model.files.find((f) => f.path === DECODER)?.sha256).toBe(sha256(files[DECODER]!))
    expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
  })

  it('takes over the lock of a process that died mid-download', async () => {
    const dir = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit)
    await mkdir(dir, { recursive: true })
    const { hostname } = await import('node:os')
    await writeFile(
      path.join(dir, '.smolvlm-store.lock'),
      JSON.stringify({ pid: 2 ** 22 + 7, host: hostname() })
    )
    const model = await h.store().pull(REPO, { variant: 'q4' })
    expect(model.variants).toEqual(['q4'])
    expect(existsSync(path.join(dir, '.smolvlm-store.lock'))).toBe(false)
  })

  it('downloads a resumed file once more from zero when its old bytes fail the check', async () => {
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 250_000 })
    await rejection(h.store({ retry: { attempts: 1, baseDelayMs: 1 } }).pull(REPO, { variant: 'q4' }))
    const part = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit, DECODER + '.part')
    const stale = await readFile(part)
    const kept = stale.length
    stale[10] ^= 0xff
    await writeFile(part, stale)

    const { events, onProgress } = recorder()
    const model = await h.store().pull(REPO, { onProgress })
    expect(events.filter((e) => e.notice).map((e) => e.notice!.kind)).toEqual(['resume', 'restart'])
    expect(h.hub.gets(DECODER).map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`, undefined])
    expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
  })
})

describe('revision pinning', () => {
  it('keeps every file at the commit it resolved even when main moves during the pull', async () => {
    const newer = h.hub.addCommit(REPO, tinyRepoFiles({ seed: 2 }), 'next')
    h.hub.onRequest = (_log, count) => {
      if (count === 2) h.hub.setRef(REPO, 'main', newer)
    }
    const model = await h.store().pull(REPO, { variant: 'q4' })
    expect(model.revision).toBe(commit)
    for (const file of model.files)
      expect(await sha256Of(model.dir, file.path)).toBe(sha256(files[file.path]!))
  })

  it('fails without installing when the server answers for another commit than the pinned one', async () => {
    const h2 = await harness({ honorRevision: false })
    try {
      const first = h2.hub.addCommit(REPO, files)
      const second = h2.hub.addCommit(REPO, tinyRepoFiles({ seed: 2 }), 'next')
      h2.hub.onRequest = (log) => {
        if (log.path === DECODER) h2.hub.setRef(REPO, 'main', second)
      }
      const store = h2.store()
      const error = await rejection(store.pull(REPO, { variant: 'q4' }))
      expect(error.code).toBe('download-failed')
      expect(error.message).toContain(`pinned to ${first.slice(0, 12)}`)
      expect(await store.installed()).toEqual([])
    } finally {
      await h2.cleanup()
    }
  })

  it('pulls a named revision into its own folder', async () => {
    const newer = h.hub.addCommit(REPO, tinyRepoFiles({ seed: 2 }), 'next')
    const store = h.store()
    const old = await store.pull(REPO, { variant: 'q4' })
    const next = await store.pull(REPO, { variant: 'q4', revision: 'next' })
    expect(next.revision).toBe(newer)
    expect(next.dir).not.toBe(old.dir)
    expect((await store.installed()).map((m) => m.revision).sort()).toEqual([commit, newer].sort())
  })
})

describe('offline once installed', () => {
  it('answers a second pull of an installed variant without a connection', async () => {
    const store = h.store()
    await store.pull(REPO, { variant: 'q4' })
    const before = h.hub.connections
    const model = await store.pull(REPO, { variant: 'q4' })
    expect(model.variants).toEqual(['q4'])
    expect(h.hub.connections).toBe(before)
  })

  it('adds a second variant into the same commit folder', async () => {
    const store = h.store()
    const q4 = await store.pull(REPO, { variant: 'q4' })
    h.hub.setRef(REPO, 'main', h.hub.addCommit(REPO, tinyRepoFiles({ seed: 3 }), 'other'))
    const both = await store.pull(REPO, { variant: 'fp32' })
    expect(both.dir).toBe(q4.dir)
    expect(both.variants).toEqual(['fp32', 'q4'])
  })
})

describe('manifest verification', () => {
  const entry = (sha: (p: string) => string): CatalogEntry => ({
    id: 'smolvlm-256m',
    repo: REPO,
    title: 'Tiny',
    parameters: '1M',
    summary: 'test',
    variants: ['q4'],
    recommended: { cpu: 'q4', gpu: 'q4' },
    recommendedWhy: 'test',
    knownFiles: Q4_FILES.filter((p) => p.startsWith('onnx/')).map((p) => ({
      path: p,
      size: files[p]!.length,
      sha256: sha(p)
    }))
  })

  it('checks LFS files against the catalog manifest when the hub sends no hashes', async () => {
    const h2 = await harness({ sendHashes: false })
    try {
      h2.hub.addCommit(REPO, files)
      const store = h2.store({ catalog: [entry((p) => sha256(files[p]!))] })
      const model = await store.pull('smolvlm-256m')
      expect(model.id).toBe('smolvlm-256m')
      expect(model.variants).toEqual(['q4'])
      expect(model.files.find((f) => f.path === DECODER)?.basis).toBe('manifest')
      expect(model.files.find((f) => f.path === 'config.json')?.basis).toBe('size-only')
    } finally {
      await h2.cleanup()
    }
  })

  it('rejects a file that differs from the manifest when the hub sends no hashes', async () => {
    const h2 = await harness({ sendHashes: false })
    try {
      h2.hub.addCommit(REPO, files)
      const store = h2.store({
        catalog: [entry((p) => (p === DECODER ? '0'.repeat(64) : sha256(files[p]!)))]
      })
      const error = await rejection(store.pull('smolvlm-256m'))
      expect(error.message).toContain(`${DECODER} from ${REPO} failed its integrity check`)
      expect(await store.installed()).toEqual([])
    } finally {
      await h2.cleanup()
    }
  })
})
