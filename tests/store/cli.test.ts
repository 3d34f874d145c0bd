import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseVariantChoice, runModels } from '../../src/cli/models.ts'
import type { ModelsOutput } from '../../src/cli/models.ts'
import { UsageError } from '../../src/cli/usage.ts'
import { Q4_FILES, tinyRepoFiles } from './fake-repo.ts'
import { harness, REPO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { sha256 } from './hub-server.ts'

const DECODER = 'onnx/decoder_model_merged_q4.onnx'
const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

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

/** Runs the real command line (`node --import tsx src/cli/index.ts …`) against the fake hub. */
function smolvlm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', ...args],
      { cwd: PROJECT, env: { ...process.env, SMOLVLM_HOME: h.root, SMOLVLM_HUB_URL: h.hub.url } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })
}

/** runModels in this process, with captured output. */
function capture(errIsTTY = false): ModelsOutput & { stdout: () => string; stderr: () => string } {
  let out = ''
  let err = ''
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    errIsTTY,
    stdout: () => out,
    stderr: () => err
  }
}

const env = () => ({ SMOLVLM_HOME: h.root, SMOLVLM_HUB_URL: h.hub.url })

describe('smolvlm models pull (the real command)', () => {
  it('survives a cut connection, resumes with Range, and prints the installed folder with sizes and sha256', async () => {
    h.hub.inject({ kind: 'cut', path: DECODER, afterBytes: 300_000 })
    const result = await smolvlm(['models', 'pull', REPO, '--variant', 'q4', '--json'])
    expect(result.code).toBe(0)
    const model = JSON.parse(result.stdout) as {
      dir: string
      revision: string
      files: { path: string; size: number; sha256: string }[]
    }
    expect(model.dir).toBe(path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit))
    expect(model.revision).toBe(commit)
    expect(model.files.map((f) => [f.path, f.size, f.sha256])).toEqual(
      Q4_FILES.map((p) => [p, files[p]!.length, sha256(files[p]!)])
    )
    expect(result.stderr).toMatch(
      /smolvlm: onnx\/decoder_model_merged_q4\.onnx: connection lost at .*; retrying in .* s \(attempt 2\)/
    )
    expect(result.stderr).toContain(`smolvlm: installed ${REPO} (q4, `)
    const ranges = h.hub.gets(DECODER).map((r) => r.range)
    expect(ranges).toHaveLength(2)
    expect(ranges[1]).toMatch(/^bytes=\d+-$/)
  })

  it('exits 1 with the reason when the download fails, and 2 for a usage error', async () => {
    const failed = await smolvlm(['models', 'pull', 'nobody/nothing'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('smolvlm: The hub refused config.json of nobody/nothing (HTTP 401')
    const usage = await smolvlm(['models', 'pull', REPO, '--variant', 'q5'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('smolvlm: Unknown variant "q5".')
  })
})

describe('smolvlm models (in process)', () => {
  it('draws progress as one rewritten line on a terminal', async () => {
    const io = capture(true)
    expect(await runModels(['pull', REPO], io, env())).toBe(0)
    expect(io.stderr()).toContain('\r')
    expect(io.stderr()).toMatch(/\r\d+% [\d.]+ (B|KB) of 7\d\d\.\d KB/)
    // The in-place line is blanked (\r + spaces + \r) before the final line.
    expect(
      io
        .stderr()
        .trimEnd()
        .split(/[\r\n]/)
        .at(-1)
    ).toMatch(/^smolvlm: installed test\/tiny-smolvlm \(q4, /)
  })

  it('lists catalog and installed models as JSON', async () => {
    await runModels(['pull', REPO], capture(), env())
    const io = capture()
    expect(await runModels(['list', '--json'], io, env())).toBe(0)
    const listed = JSON.parse(io.stdout()) as {
      catalog: { id: string }[]
      installed: { id: string; variants: string[] }[]
    }
    expect(listed.catalog.map((e) => e.id)).toEqual(['smolvlm-256m', 'smolvlm-500m', 'smolvlm-2.2b'])
    expect(listed.installed.map((m) => [m.id, m.variants])).toEqual([[REPO, ['q4']]])
  })

  it('exits 1 from verify when a file is damaged, naming it', async () => {
    await runModels(['pull', REPO], capture(), env())
    const file = path.join(h.root, 'models', 'test', 'tiny-smolvlm', commit, ...DECODER.split('/'))
    const bytes = await readFile(file)
    bytes[7] ^= 1
    await writeFile(file, bytes)
    const io = capture()
    expect(await runModels(['verify', REPO], io, env())).toBe(1)
    expect(io.stderr()).toContain(`smolvlm: ${DECODER}: sha-mismatch`)
  })

  it('removes a model, and exits 2 when there is nothing to remove', async () => {
    await runModels(['pull', REPO], capture(), env())
    expect(await runModels(['rm', REPO], capture(), env())).toBe(0)
    const io = capture()
    expect(await runModels(['rm', REPO], io, env())).toBe(2)
    expect(io.stderr()).toBe(`smolvlm: ${REPO} is not installed.\n`)
  })

  it('rejects unknown commands and options as usage errors', async () => {
    await expect(runModels(['fetch'], capture(), env())).rejects.toThrow(UsageError)
    await expect(runModels(['pull', REPO, '--bogus'], capture(), env())).rejects.toThrow(UsageError)
  })
})

describe('--variant', () => {
  it('takes one precision or one per session', () => {
    expect(parseVariantChoice('q4')).toBe('q4')
    expect(parseVariantChoice('vision_encoder=fp32,decoder_model_merged=q4')).toEqual({
      vision_encoder: 'fp32',
      decoder_model_merged: 'q4'
    })
    expect(() => parseVariantChoice('text_encoder=q4')).toThrow('Unknown session "text_encoder"')
  })
})
