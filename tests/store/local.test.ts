import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SmolvlmError } from '../../src/engine/errors.ts'
import type { CatalogEntry } from '../../src/store/index.ts'
import { Q4_FILES, tinyRepoFiles, writeRepo } from './fake-repo.ts'
import { harness, REPO, sha256Of } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { sha256 } from './hub-server.ts'

const DECODER = 'onnx/decoder_model_merged_q4.onnx'

let h: Harness
let files: Record<string, Buffer>

beforeEach(async () => {
  h = await harness()
  files = tinyRepoFiles()
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

async function flipByte(file: string, at: number): Promise<void> {
  const bytes = await readFile(file)
  bytes[at] ^= 0xff
  await writeFile(file, bytes)
}

/** A user's own copy of the repository, outside the store. */
async function userFolder(name = 'My SmolVLM copy'): Promise<string> {
  return writeRepo(path.join(h.temp, name), files)
}

describe('importFolder', () => {
  it('uses a folder in place: records it, copies nothing, reports its variants', async () => {
    const dir = await userFolder()
    const store = h.store()
    const model = await store.importFolder(dir, { mode: 'in-place' })
    expect(model).toMatchObject({
      id: 'local/My-SmolVLM-copy',
      dir,
      source: 'import-in-place',
      variants: ['fp32', 'q4']
    })
    expect(model.revision).toMatch(/^local-[0-9a-f]{12}$/)
    expect(model.files.find((f) => f.path === DECODER)).toEqual({
      path: DECODER,
      size: files[DECODER]!.length,
      sha256: sha256(files[DECODER]!),
      basis: 'none'
    })
    expect(existsSync(path.join(h.root, 'models'))).toBe(false)
    expect(await store.resolve('local/My-SmolVLM-copy')).toMatchObject({ dir })
  })

  it('copies a folder into <root>/models/<owner>/<name>/<revision>, byte for byte', async () => {
    const dir = await userFolder()
    const model = await h.store().importFolder(dir, { mode: 'copy', repo: 'someone/finetune' })
    expect(model.id).toBe('someone/finetune')
    expect(model.source).toBe('import-copy')
    expect(model.dir).toBe(path.join(h.root, 'models', 'someone', 'finetune', model.revision))
    for (const file of model.files)
      expect(await sha256Of(model.dir, file.path)).toBe(sha256(files[file.path]!))
    expect(await readdir(path.join(h.root, 'tmp'))).toEqual([])
  })

  it('lands the same content in the same place when a folder is imported twice', async () => {
    const store = h.store()
    const first = await store.importFolder(await userFolder(), { mode: 'copy' })
    const second = await store.importFolder(await userFolder(), { mode: 'copy' })
    expect(second.dir).toBe(first.dir)
    expect(await store.installed()).toHaveLength(1)
  })

  it('names the missing files of a folder that is not a model', async () => {
    const dir = await userFolder()
    await rm(path.join(dir, 'tokenizer.json'))
    await rm(path.join(dir, 'onnx'), { recursive: true })
    const error = await rejection(h.store().importFolder(dir, { mode: 'in-place' }))
    expect(error.code).toBe('model-missing')
    expect(error.message).toContain(
      'it has no tokenizer.json, onnx/vision_encoder*.onnx, onnx/embed_tokens*.onnx, onnx/decoder_model_merged*.onnx.'
    )
  })

  it('refuses a folder whose config the engine cannot read', async () => {
    const dir = await userFolder()
    await writeFile(path.join(dir, 'config.json'), '{ not json')
    const error = await rejection(h.store().importFolder(dir, { mode: 'copy' }))
    expect(error.code).toBe('model-corrupt')
    expect(error.message).toContain('config.json')
  })

  it('checks a folder claiming to be a catalog model against the manifest, and installs nothing on a mismatch', async () => {
    const entry: CatalogEntry = {
      id: 'smolvlm-256m',
      repo: 'HuggingFaceTB/SmolVLM-256M-Instruct',
      title: 'test',
      parameters: '1M',
      summary: 'test',
      variants: ['q4'],
      recommended: { cpu: 'q4', gpu: 'q4' },
      recommendedWhy: 'test',
      knownFiles: [{ path: DECODER, size: files[DECODER]!.length, sha256: sha256(files[DECODER]!) }]
    }
    const dir = await userFolder()
    await flipByte(path.join(dir, DECODER), 1000)
    const store = h.store({ catalog: [entry] })
    const error = await rejection(store.importFolder(dir, { mode: 'copy', repo: entry.repo }))
    expect(error.code).toBe('model-corrupt')
    expect(error.message).toContain(
      `${DECODER} does not match the published HuggingFaceTB/SmolVLM-256M-Instruct file`
    )
    expect(await store.installed()).toEqual([])
    expect(existsSync(path.join(h.root, 'models'))).toBe(false)
  })

  it('recognizes an unnamed copy of a catalog model by its hashes', async () => {
    const entry: CatalogEntry = {
      id: 'smolvlm-256m',
      repo: 'HuggingFaceTB/SmolVLM-256M-Instruct',
      title: 'test',
      parameters: '1M',
      summary: 'test',
      variants: ['q4'],
      recommended: { cpu: 'q4', gpu: 'q4' },
      recommendedWhy: 'test',
      knownFiles: [{ path: DECODER, size: files[DECODER]!.length, sha256: sha256(files[DECODER]!) }]
    }
    const model = await h.store({ catalog: [entry] }).importFolder(await userFolder(), { mode: 'in-place' })
    expect(model.id).toBe('smolvlm-256m')
    expect(model.files.find((f) => f.path === DECODER)?.basis).toBe('manifest')
  })

  it('reads repository and commit from a Hugging Face cache snapshot and checks files against their blob names', async () => {
    const cache = path.join(h.temp, 'hf', 'models--someone--tiny')
    const commit = 'a'.repeat(40)
    const snapshot = path.join(cache, 'snapshots', commit)
    await mkdir(path.join(cache, 'blobs'), { recursive: true })
    for (const [name, data] of Object.entries(files)) {
      const blob = path.join(
        cache,
        'blobs',
        name.endsWith('.onnx') ? sha256(data) : `git-${sha256(data).slice(0, 40)}`
      )
      await writeFile(blob, data)
      const link = path.join(snapshot, ...name.split('/'))
      await mkdir(path.dirname(link), { recursive: true })
      await symlink(path.relative(path.dirname(link), blob), link)
    }
    const model = await h.store().importFolder(snapshot, { mode: 'copy' })
    expect(model).toMatchObject({ id: 'someone/tiny', repo: 'someone/tiny', revision: commit })
    expect(model.files.find((f) => f.path === DECODER)?.basis).toBe('hf-cache')
    expect(await sha256Of(model.dir, DECODER)).toBe(sha256(files[DECODER]!))
  })
})

describe('verify', () => {
  it('finds every file of a fresh pull intact', async () => {
    h.hub.addCommit(REPO, files)
    const store = h.store()
    const model = await store.pull(REPO, { variant: 'q4' })
    const report = await store.verify(REPO)
    expect(report.ok).toBe(true)
    expect(report.dir).toBe(model.dir)
    expect(report.files.map((f) => `${f.path} ${f.status}`)).toEqual(Q4_FILES.map((p) => `${p} ok`))
  })

  it('detects one corrupted byte, and the model stops counting as complete until a pull repairs it', async () => {
    h.hub.addCommit(REPO, files)
    const store = h.store()
    const model = await store.pull(REPO, { variant: 'q4' })
    await flipByte(path.join(model.dir, DECODER), 12345)

    const report = await store.verify(REPO)
    expect(report.ok).toBe(false)
    expect(report.files.filter((f) => f.status !== 'ok')).toEqual([
      {
        path: DECODER,
        status: 'sha-mismatch',
        expected: sha256(files[DECODER]!),
        actual: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown as string
      }
    ])
    const damaged = await store.resolve(REPO)
    expect(damaged?.variants).toEqual([])
    expect(damaged?.problems).toEqual([`${DECODER} failed the last integrity check.`])

    const repaired = await store.pull(REPO, { variant: 'q4' })
    expect(repaired.variants).toEqual(['q4'])
    expect(h.hub.gets(DECODER)).toHaveLength(2)
    expect((await store.verify(REPO)).ok).toBe(true)
  })

  it('reports a missing file and a truncated one without hashing them', async () => {
    h.hub.addCommit(REPO, files)
    const store = h.store()
    const model = await store.pull(REPO, { variant: 'q4' })
    await rm(path.join(model.dir, 'tokenizer.json'))
    await writeFile(path.join(model.dir, DECODER), files[DECODER]!.subarray(0, 10))
    const report = await store.verify(REPO)
    expect(report.files.filter((f) => f.status !== 'ok').map((f) => `${f.path} ${f.status}`)).toEqual([
      `${DECODER} size-mismatch`,
      'tokenizer.json missing'
    ])
    expect((await store.installed())[0]?.variants).toEqual([])
  })

  it('verifies a folder outside the store: unverified where nothing states a hash, missing where a file is absent', async () => {
    const dir = await userFolder()
    await rm(path.join(dir, 'processor_config.json'))
    const report = await h.store().verify(dir)
    expect(report.ok).toBe(false)
    expect(report.files[0]).toEqual({ path: 'processor_config.json', status: 'missing' })
    expect(new Set(report.files.slice(1).map((f) => f.status))).toEqual(new Set(['unverified']))
  })

  it('says how to get a model that is not installed', async () => {
    const error = await rejection(h.store().verify('smolvlm-500m'))
    expect(error.code).toBe('model-missing')
    expect(error.message).toBe('smolvlm-500m is not installed; run: smolvlm models pull smolvlm-500m')
  })
})

describe('remove and disk usage', () => {
  it('removes a pulled model and its folders', async () => {
    h.hub.addCommit(REPO, files)
    const store = h.store()
    await store.pull(REPO, { variant: 'q4' })
    await store.remove(REPO)
    expect(await store.installed()).toEqual([])
    expect(await readdir(path.join(h.root, 'models'))).toEqual([])
  })

  it('removes an in-place import from the store without touching the user folder', async () => {
    const dir = await userFolder()
    const store = h.store()
    await store.importFolder(dir, { mode: 'in-place' })
    await store.remove(dir)
    expect(await store.installed()).toEqual([])
    expect(await sha256Of(dir, DECODER)).toBe(sha256(files[DECODER]!))
  })

  it('discards a paused download and forgets it', async () => {
    h.hub.addCommit(REPO, files)
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 100_000 })
    const store = h.store({ retry: { attempts: 1, baseDelayMs: 1 } })
    await rejection(store.pull(REPO, { variant: 'q4' }))
    expect(await store.partialDownloads()).toHaveLength(1)
    await store.discardPartial(REPO)
    expect(await store.partialDownloads()).toEqual([])
    expect(await readdir(path.join(h.root, 'models'))).toEqual([])
  })

  it('refuses to remove what is not installed', async () => {
    const error = await rejection(h.store().remove('someone/nothing'))
    expect(error.code).toBe('model-missing')
    expect(error.message).toBe('someone/nothing is not installed.')
  })

  it('counts the bytes of every model folder, partial downloads included', async () => {
    h.hub.addCommit(REPO, files)
    const store = h.store()
    const model = await store.pull(REPO, { variant: 'q4' })
    const usage = await store.diskUsage()
    const record = (await readFile(path.join(model.dir, '.smolvlm-store.json'))).length
    expect(usage.models).toEqual([
      { id: REPO, revision: model.revision, dir: model.dir, bytes: model.sizeBytes + record, complete: true }
    ])
    expect(usage.bytes).toBe(model.sizeBytes + record)
  })
})
