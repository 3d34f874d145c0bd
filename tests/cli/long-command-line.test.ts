import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, TINY_MODEL, jsonLines, runCli } from './run-cli.ts'

/**
 * Issue 16 item 3: a command line of ~29,000 characters or more killed the CLI with SIGSEGV at the first
 * onnxruntime session (its telemetry ran a recursive std::regex over /proc/self/cmdline; the engine now turns that
 * telemetry off before onnxruntime starts, see src/engine/runtime.ts).
 */
describe('CLI: long command lines', () => {
  let dir: string
  let paths: string[]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smolvlm-argv-'))
    // 500 distinct names, as a shell glob gives them (symlinks to one fixture: the vision cache keeps it quick).
    paths = []
    for (let i = 0; i < 500; i++) {
      const path = join(dir, `holiday-2026-camera-roll-IMG_${String(i).padStart(5, '0')}.png`)
      await symlink(join(ROOT, 'tests/fixtures/images/tiny.png'), path)
      paths.push(path)
    }
  })

  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('captions 500 globbed file names (a command line over 30,000 characters)', async () => {
    const args = ['caption', '--model', TINY_MODEL, '--json', '--no-split', '--max-new-tokens', '1', ...paths]
    expect(args.join(' ').length).toBeGreaterThan(30_000)
    const result = await runCli(args, { timeoutMs: 240_000 })
    expect(result.signal).toBeNull()
    expect(result.stderr).not.toMatch(/Segmentation|SIGSEGV/)
    expect(result.code).toBe(0)
    const lines = jsonLines(result.stdout)
    expect(lines).toHaveLength(500)
    expect(lines.every((line) => line['error'] === undefined)).toBe(true)
  }, 300_000)

  it('runs a 6,000-word prompt to an answer', async () => {
    const prompt = Array.from({ length: 6000 }, (_, i) => ['describe', 'the', 'picture', 'now'][i % 4]).join(
      ' '
    )
    const args = ['caption', '--model', TINY_MODEL, '--json', '--no-split', '--max-new-tokens', '2']
    const result = await runCli([...args, '--prompt', prompt, paths[0]!], { timeoutMs: 120_000 })
    expect(result.signal).toBeNull()
    expect(result.code).toBe(0)
    const [line] = jsonLines(result.stdout)
    expect(line?.['error']).toBeUndefined()
  }, 150_000)
})
