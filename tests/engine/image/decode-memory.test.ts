import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const DECODE_IMAGE = fileURLToPath(new URL('../../../src/engine/image/decode-image.ts', import.meta.url))

/**
 * Decodes one image many times in a fresh Node process and reports its resident memory: a native copy that is
 * never freed shows up here and nowhere else (V8's heap and external counters stay flat).
 */
const PROBE = `
const { decodeImage } = await import(process.env.DECODE_IMAGE)
const rss = () => process.memoryUsage().rss / 1e6
const samples = []
for (let i = 0; i < 40; i++) {
  await decodeImage(process.env.IMAGE)
  globalThis.gc()
  if (i === 9 || i === 39) samples.push(rss())
}
console.log(JSON.stringify(samples))
`

describe('decodeImage memory', () => {
  let dir: string
  let image: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smolvlm-decode-memory-'))
    image = join(dir, 'noise.png')
    // 1600x1200: a 5.76 MB raster per decode.
    await sharp({
      create: {
        width: 1600,
        height: 1200,
        channels: 3,
        background: 'black',
        noise: { type: 'gaussian', mean: 128, sigma: 40 }
      }
    })
      .png()
      .toFile(image)
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('gives every decoded raster back (resident memory flat over 30 more decodes)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', PROBE],
      { env: { ...process.env, DECODE_IMAGE, IMAGE: image } }
    )
    const [after10, after40] = JSON.parse(stdout.trim().split('\n').at(-1)!) as [number, number]
    // A leaked raster per decode would add ~170 MB; allocator slack stays far below that.
    expect(after40 - after10).toBeLessThan(60)
  }, 60_000)
})
