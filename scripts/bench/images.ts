import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'

/** A deterministic photo-like test image: smooth gradients, a few shapes and fine noise (so resizing has work). */
export async function writeBenchImage(dir: string, width: number, height: number): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, `bench-${width}x${height}.png`)
  const data = new Uint8Array(width * height * 3)
  let seed = 12345
  const noise = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 24) - 128
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const u = x / width
      const v = y / height
      const ring = Math.hypot(u - 0.6, v - 0.4) < 0.2 ? 90 : 0
      const stripe = Math.floor(x / 37 + y / 53) % 2 === 0 ? 40 : 0
      const n = noise() >> 3
      data[i] = Math.max(0, Math.min(255, 255 * u * 0.8 + ring + n))
      data[i + 1] = Math.max(0, Math.min(255, 255 * v * 0.7 + stripe + n))
      data[i + 2] = Math.max(0, Math.min(255, 200 - 150 * u * v + ring / 2 + n))
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path)
  return path
}
