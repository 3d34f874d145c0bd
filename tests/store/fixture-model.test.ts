import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openModelFolder, readModelConfig } from '../../src/engine/model-files.ts'
import { harness } from './helpers.ts'
import type { Harness } from './helpers.ts'

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models/tiny-gqa')
const present = existsSync(path.join(FIXTURE, 'config.json'))

async function repoFiles(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = path.join(entry.parentPath, entry.name)
    files[path.relative(dir, full).split(path.sep).join('/')] = await readFile(full)
  }
  return files
}

let h: Harness

beforeEach(async () => {
  h = await harness()
})

afterEach(async () => {
  await h.cleanup()
})

describe.skipIf(!present)('the tiny-gqa fixture model through the store', () => {
  it('pulls from the fake hub into a folder the engine opens', async () => {
    h.hub.addCommit('test/tiny-gqa', await repoFiles(FIXTURE))
    const model = await h.store().pull('test/tiny-gqa', { variant: 'q4' })
    const opened = await openModelFolder(model.dir, 'q4')
    expect(opened.config.vocabSize).toBe((await readModelConfig(FIXTURE)).vocabSize)
    expect(opened.sessions.vision_encoder.path).toBe(path.join(model.dir, 'onnx', 'vision_encoder_q4.onnx'))
  })

  it('imports the fixture folder in place with every precision it has', async () => {
    const model = await h.store().importFolder(FIXTURE, { mode: 'in-place', repo: 'test/tiny-gqa' })
    expect(model.dir).toBe(FIXTURE)
    expect(model.variants).toContain('q4')
    expect(model.variants).toContain('fp32')
  })
})
