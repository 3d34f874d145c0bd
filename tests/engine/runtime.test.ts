import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { SmolvlmError } from '../../src/engine/errors.ts'
import { createSession, providerUnavailable } from '../../src/engine/runtime.ts'
import { modelDir } from '../support/reference.ts'

const embedTokens = `${modelDir('tiny-gqa')}/onnx/embed_tokens.onnx`

/** Runs a short ESM script under tsx in a fresh Node (the runtime's process-wide settings apply at first use). */
function runScript(source: string, extraArgs: readonly string[] = []) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source, ...extraArgs], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 60_000
  })
}

describe('runtime', () => {
  it('creates a session under a command line far longer than the one that crashed onnxruntime (~29,000 chars)', () => {
    // onnxruntime-node 1.30's telemetry ran a recursive std::regex over /proc/self/cmdline: SIGSEGV at ~29,000
    // characters. 120,000 characters in one argument (under Linux's 128 KiB limit per argument) plus 500 more.
    const long = 'w'.repeat(120_000)
    const many = Array.from({ length: 500 }, (_, i) => `/some/folder/IMG_${String(i).padStart(5, '0')}.png`)
    const result = runScript(
      `import { createSession } from './src/engine/runtime.ts'
       const s = await createSession(${JSON.stringify(embedTokens)}, { device: 'cpu' })
       console.log('loaded on', s.provider)`,
      [long, ...many]
    )
    expect(result.signal).toBeNull()
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('loaded on cpu')
  })

  it('leaves no onnxruntime log line on stderr when a named GPU device is missing', () => {
    const result = runScript(
      `import { createSession } from './src/engine/runtime.ts'
       for (const device of ['cuda', 'webgpu', 'coreml', 'dml']) {
         try { await createSession(${JSON.stringify(embedTokens)}, { device }); console.log(device, 'ok') }
         catch (e) { console.log(device, e.code) }
       }`
    )
    expect(result.status).toBe(0)
    expect(result.stderr).not.toMatch(
      /\[[EW]:onnxruntime|provider_bridge_ort|removing requested execution provider/
    )
    for (const line of result.stdout.trim().split('\n')) expect(line).toMatch(/ (ok|bad-request)$/)
  })

  it('refuses a named device that is unavailable with a sentence saying why', async () => {
    const error = await createSession(embedTokens, { device: 'coreml' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SmolvlmError)
    expect((error as SmolvlmError).code).toBe('bad-request')
    expect((error as SmolvlmError).message).toBe(
      'The device "coreml" was asked for but cannot be used on this machine: this build of onnxruntime-node ' +
        'has no coreml provider. Choose "auto" to use it when present and the CPU otherwise, or "cpu".'
    )
    expect(providerUnavailable('cpu')).toBeUndefined()
  })

  it('with "auto" falls back to the CPU instead', async () => {
    const loaded = await createSession(embedTokens, { device: 'auto' })
    expect(loaded.provider).toBe('cpu')
    await loaded.session.release()
  })
})
