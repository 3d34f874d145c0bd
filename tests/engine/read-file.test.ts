import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRegularFile } from '../../src/engine/read-file.ts'

const options = { maxBytes: 1024, code: 'bad-image' as const, label: 'x.png' }

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e
  )) as { code: string; message: string } | undefined
  if (!error) throw new Error('expected a failure')
  return { code: error.code, message: error.message }
}

describe('readRegularFile', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smolvlm-read-'))
    await writeFile(join(dir, 'small.bin'), 'hello')
    await writeFile(join(dir, 'big.bin'), '')
    await truncate(join(dir, 'big.bin'), 4096)
    await mkdir(join(dir, 'folder'))
    await symlink('/dev/zero', join(dir, 'zero'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('reads a regular file', async () => {
    expect((await readRegularFile(join(dir, 'small.bin'), options)).toString()).toBe('hello')
  })

  it.each([
    ['fifo', 'bad-image', 'x.png is a named pipe (FIFO), not a regular file.'],
    ['zero', 'bad-image', 'x.png is a character device, not a regular file.'],
    ['folder', 'bad-image', 'x.png is a folder.'],
    ['missing', 'bad-image', 'x.png does not exist.'],
    ['big.bin', 'bad-image', 'x.png is too large (4096 bytes; at most 1024 bytes is read).']
  ])('refuses %s at once, without reading it', async (name, code, message) => {
    const start = performance.now()
    expect(await failure(readRegularFile(join(dir, name), options))).toEqual({ code, message })
    expect(performance.now() - start).toBeLessThan(5_000) // a hang bound, not a speed claim
  })

  it('uses the caller’s error code', async () => {
    const result = await failure(readRegularFile(join(dir, 'fifo'), { ...options, code: 'model-corrupt' }))
    expect(result.code).toBe('model-corrupt')
  })

  it('ends with cancelled when the signal aborts, before or while the file is opened', async () => {
    const aborted = AbortSignal.abort()
    expect(await failure(readRegularFile(join(dir, 'small.bin'), { ...options, signal: aborted }))).toEqual({
      code: 'cancelled',
      message: 'Reading x.png was cancelled.'
    })
    const controller = new AbortController()
    const pending = readRegularFile(join(dir, 'small.bin'), { ...options, signal: controller.signal })
    controller.abort() // the open is still in libuv's pool
    expect((await failure(pending)).code).toBe('cancelled')
  })
})
