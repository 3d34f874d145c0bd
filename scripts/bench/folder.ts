import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { writeBenchImage } from './images.ts'
import type { FolderMetrics } from './protocol.ts'
import { Runner } from './runner-process.ts'
import type { Implementation } from './runner-process.ts'

/**
 * `npm run bench -- --folder`: images per minute over a folder of photos of mixed sizes, the way collections are
 * captioned: ours one image at a time, ours in batches (describeBatch), transformers.js one image at a time. Each
 * measurement runs in a fresh process (so its peak RSS is its own) after the model is loaded; loading is not timed.
 */
interface FolderMode {
  readonly mode: 'fast' | 'tiled'
  readonly split: boolean
  readonly sizes: readonly (readonly [number, number])[]
}

// Phone and camera sizes, both orientations (each file a little different, so 24 distinct photos). Fast mode: one
// 512-px frame each, so every prompt has one length. Tiled: a folder mostly from one camera (landscape 4:3), with two
// portraits and a 16:9 (other tilings, so other prompt lengths).
const PHOTO_SIZES = [
  [1600, 1200],
  [1200, 1600],
  [1920, 1080],
  [800, 600],
  [1024, 768],
  [640, 480]
] as const

const MODES: readonly FolderMode[] = [
  {
    mode: 'fast',
    split: false,
    sizes: Array.from(
      { length: 24 },
      (_, i) => [PHOTO_SIZES[i % 6][0] + (i % 5), PHOTO_SIZES[i % 6][1]] as const
    )
  },
  {
    mode: 'tiled',
    split: true,
    // A pixel apart, so no two photos are the same (our vision cache would otherwise skip the encoder for a copy).
    sizes: [
      ...Array.from({ length: 5 }, (_, i) => [1600 + i, 1200] as const),
      [1200, 1600],
      [1201, 1600],
      [1920, 1080]
    ]
  }
]

export interface FolderBenchOptions {
  readonly modelDir: string
  readonly variant: string
  readonly threads?: number
  readonly newTokens: number
  readonly batchSize: number
  readonly vsTransformersjs: boolean
  readonly prompt: string
  readonly log: (text: string) => void
  /** Only these modes (fast, tiled); default both. */
  readonly modes?: readonly string[]
}

async function measure(
  implementation: Implementation,
  options: FolderBenchOptions,
  images: readonly string[],
  split: boolean,
  batchSize: number
): Promise<FolderMetrics> {
  const runner = new Runner(implementation)
  try {
    const ready = await runner.request({
      type: 'init',
      modelDir: options.modelDir,
      variant: options.variant,
      threads: options.threads
    })
    if (ready.type !== 'ready') throw new Error(`${implementation} failed to load`)
    return await runner.folder({
      type: 'folder',
      images,
      split,
      prompt: options.prompt,
      newTokens: options.newTokens,
      batchSize
    })
  } finally {
    runner.close()
  }
}

export async function runFolderBench(options: FolderBenchOptions) {
  const dir = join(tmpdir(), 'smolvlm-bench-folder')
  const results = []
  for (const { mode, split, sizes } of MODES) {
    if (options.modes && !options.modes.includes(mode)) continue
    const images = []
    for (const [width, height] of sizes) images.push(await writeBenchImage(dir, width, height))
    const line = (who: string, m: FolderMetrics) =>
      options.log(
        `${mode}: ${who}: ${m.images} images in ${(m.totalMs / 1000).toFixed(1)} s, ` +
          `${m.imagesPerMinute.toFixed(1)} images/min, peak ${m.peakRssMb.toFixed(0)} MB`
      )
    const sequential = await measure('ours', options, images, split, 1)
    line('ours one at a time', sequential)
    const batched = await measure('ours', options, images, split, options.batchSize)
    line(`ours batched (${options.batchSize})`, batched)
    const entry: Record<string, unknown> = {
      mode,
      images: images.length,
      ours: {
        sequential: { imagesPerMinute: sequential.imagesPerMinute, peakRssMb: sequential.peakRssMb },
        batched: {
          imagesPerMinute: batched.imagesPerMinute,
          peakRssMb: batched.peakRssMb,
          batchSize: options.batchSize
        }
      }
    }
    if (options.vsTransformersjs) {
      const theirs = await measure('transformersjs', options, images, split, 1)
      line('transformers.js one at a time', theirs)
      entry['transformersjs'] = { imagesPerMinute: theirs.imagesPerMinute, peakRssMb: theirs.peakRssMb }
      options.log(
        `${mode}: batched ${(batched.imagesPerMinute / theirs.imagesPerMinute).toFixed(2)}x, ` +
          `one at a time ${(sequential.imagesPerMinute / theirs.imagesPerMinute).toFixed(2)}x transformers.js`
      )
    }
    results.push(entry)
  }
  return results
}
