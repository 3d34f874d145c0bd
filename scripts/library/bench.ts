/**
 * Caption library at scale: 100,000 captions (made-up sentences from a fixed vocabulary, seeded), insert rate
 * one caption per transaction (how the app and the CLI record) and in batches, then search latency for typical
 * queries. Figures, not assertions. Run: npx tsx scripts/library/bench.ts [count] (default 100000).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { CaptionRecord } from '../../src/library/caption-library.ts'
import { CaptionLibrary } from '../../src/library/caption-library.ts'

const COUNT = Number(process.argv[2] ?? 100_000)
const SINGLE = 2_000

const SUBJECTS = [
  'a dog',
  'a cat',
  'a woman',
  'a man',
  'two children',
  'a red car',
  'a bicycle',
  'a kite',
  'a boat',
  'a horse',
  'an old building',
  'a bridge',
  'a tree',
  'a group of people',
  'a bird',
  'a train',
  'a cup of coffee',
  'a plate of food',
  'a laptop',
  'a mountain',
  'a lighthouse',
  'a street market',
  'a child',
  'a guitar'
]
const ACTIONS = [
  'standing',
  'sitting',
  'running',
  'lying',
  'walking',
  'parked',
  'flying',
  'floating',
  'resting',
  'waiting',
  'playing',
  'looking'
]
const PLACES = [
  'on a beach',
  'in a park',
  'on a city street',
  'in a kitchen',
  'near a lake',
  'in a forest',
  'on a snowy hill',
  'in front of a house',
  'at a train station',
  'in a field of flowers',
  'under a bridge',
  'on a wooden table',
  'beside a river',
  'in the desert',
  'at night',
  'in the rain'
]
const DETAILS = [
  'The sky is blue.',
  'The light is warm and golden.',
  'It is a sunny day.',
  'The photo is blurry.',
  'There are clouds in the sky.',
  'The background is out of focus.',
  'Snow covers the ground.',
  'The colours are vivid.',
  'A sign reads "open".',
  'Leaves are on the ground.',
  'The scene is calm.'
]

/** mulberry32: a seeded generator, so every run builds the same library. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rand = random(13)
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T

function makeCaption(i: number): CaptionRecord {
  const text = `${pick(SUBJECTS)} ${pick(ACTIONS)} ${pick(PLACES)}. ${pick(DETAILS)} ${pick(DETAILS)}`
  return {
    path: `/photos/${2020 + (i % 6)}/${String(i % 12).padStart(2, '0')}/IMG_${String(i).padStart(6, '0')}.jpg`,
    contentHash: i.toString(16).padStart(64, '0'),
    size: 2_000_000 + (i % 1000) * 1000,
    source: i % 2 === 0 ? 'app' : 'cli',
    model: 'smolvlm-256m',
    variant: 'q4',
    device: 'cpu',
    prompt: 'Can you describe this image?',
    text: text.charAt(0).toUpperCase() + text.slice(1)
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const dir = mkdtempSync(join(tmpdir(), 'smolvlm-library-bench-'))
const file = join(dir, 'captions.sqlite')
const library = CaptionLibrary.open(file)
try {
  let t = performance.now()
  for (let i = 0; i < SINGLE; i++) library.record(makeCaption(i))
  const singleMs = performance.now() - t
  console.log(
    `insert, one caption per transaction (as recorded live): ${SINGLE} in ${singleMs.toFixed(0)} ms = ` +
      `${Math.round(SINGLE / (singleMs / 1000)).toLocaleString('en-US')}/s, ${((singleMs / SINGLE) * 1000).toFixed(0)} µs each`
  )
  t = performance.now()
  const batch = 1_000
  let longest = 0
  for (let start = SINGLE; start < COUNT; start += batch) {
    const b0 = performance.now()
    library.recordMany(
      Array.from({ length: Math.min(batch, COUNT - start) }, (_, k) => makeCaption(start + k))
    )
    longest = Math.max(longest, performance.now() - b0)
  }
  const batchMs = performance.now() - t
  const batched = COUNT - SINGLE
  console.log(
    `insert, ${batch} per transaction: ${batched.toLocaleString('en-US')} in ${(batchMs / 1000).toFixed(1)} s = ` +
      `${Math.round(batched / (batchMs / 1000)).toLocaleString('en-US')}/s (longest transaction ${longest.toFixed(0)} ms)`
  )
  console.log(
    `library: ${library.count().toLocaleString('en-US')} captions, ${(statSync(file).size / 1e6).toFixed(1)} MB ` +
      `(+ WAL ${((statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) / 1e6).toFixed(1)} MB)`
  )

  const queries = [
    'lighthouse',
    'dog beach',
    'red car rain',
    'kit',
    '"field of flowers"',
    'sunny -dog',
    'IMG_004217',
    'zebra'
  ]
  console.log('\nsearch (limit 100 images), 50 runs each after one warm-up:')
  console.log('query                  hits  more   median ms   p95 ms')
  for (const query of queries) {
    const result = library.search(query)
    const times: number[] = []
    for (let run = 0; run < 50; run++) {
      const s = performance.now()
      library.search(query)
      times.push(performance.now() - s)
    }
    times.sort((a, b) => a - b)
    console.log(
      `${query.padEnd(22)} ${String(result.hits.length).padStart(4)}  ${String(result.more).padEnd(5)} ` +
        `${percentile(times, 50).toFixed(2).padStart(10)} ${percentile(times, 95).toFixed(2).padStart(8)}`
    )
  }
  const h0 = performance.now()
  const history = library.history('/photos/2021/01/IMG_000001.jpg', makeCaption(1).contentHash)
  console.log(
    `\nhistory of one image: ${history.length} caption(s) in ${(performance.now() - h0).toFixed(2)} ms`
  )
} finally {
  library.close()
  rmSync(dir, { recursive: true, force: true })
}
