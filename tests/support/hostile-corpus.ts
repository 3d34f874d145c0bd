/**
 * The hostile-input corpus of issue 16, built at test time in a temp folder (nothing binary is committed): broken
 * and unusual images, paths that are not regular files, awkward names, and broken model folders.
 *
 *   const corpus = await buildHostileCorpus()
 *   for (const entry of corpus.images) … entry.path, entry.expect ('ok' or the engine error code), entry.message
 *   for (const entry of corpus.models) … a model folder, expected to fail to load with entry.expect
 *   await corpus.cleanup()
 *
 * Every entry says what the engine must answer: `expect` is 'ok' (a caption) or the typed error code, and
 * `message` (when set) a pattern the error's sentence must match. Images are made with sharp; model folders are
 * symlinks to the committed tiny-gqa fixture with one part broken or swapped for tiny-mha's.
 *
 * Some entries depend on the machine: `unreadable` (chmod 000) is readable for root (CAP_DAC_OVERRIDE), so its
 * expectation is 'ok' there and 'bad-image' otherwise; the FIFO needs `mkfifo` (coreutils) and is left out with
 * a note in `skipped` where it is missing. Paths under `dir` include a newline, an ANSI escape and a leading dash
 * in file names: quote them when printing.
 */
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import sharp from 'sharp'
import type { EngineErrorCode } from '../../src/engine/errors.ts'
import { modelDir } from './reference.ts'

export type Expectation = 'ok' | EngineErrorCode

export interface CorpusEntry {
  /** A short stable id, e.g. 'fifo', 'truncated-jpeg' (also fine as a test name). */
  readonly id: string
  readonly path: string
  readonly expect: Expectation
  /** When set, the error's message must match it. */
  readonly message?: RegExp
  /** Why this entry is here / what it checks. */
  readonly note: string
}

export interface HostileCorpus {
  /** The temp folder holding everything. */
  readonly dir: string
  /** Image inputs, in a fixed order (also valid images between broken ones). */
  readonly images: readonly CorpusEntry[]
  /** Model folders; every one must fail to load with its `expect` code, once, at load. */
  readonly models: readonly CorpusEntry[]
  /** Entries that could not be made on this machine, with the reason. */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[]
  readonly cleanup: () => Promise<void>
}

const isRoot = process.getuid?.() === 0

/** A PNG chunk: length, type, data, CRC-32 (of type + data). */
function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** A PNG whose header claims width x height (8-bit RGB) with one tiny IDAT: a decompression bomb's header. */
export function pngWithHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))),
    pngChunk('IEND', new Uint8Array())
  ])
}

function solid(width: number, height: number, channels: 3 | 4 = 3) {
  const data = Buffer.alloc(width * height * channels)
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff
  return sharp(data, { raw: { width, height, channels } })
}

async function animated(format: 'gif' | 'webp' | 'tiff', frames: number): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width: 32, height: 24, channels: 3, background: { r: i * 60, g: 90, b: 200 } } })
        .png()
        .toBuffer()
    )
  )
  const joined = sharp(pages, { join: { animated: true } })
  if (format === 'gif') return joined.gif().toBuffer()
  if (format === 'webp') return joined.webp().toBuffer()
  return joined.tiff().toBuffer()
}

/** Protobuf wire format, enough for a tiny ONNX model: varint fields (type 0) and length-delimited ones (type 2). */
function varint(value: number): number[] {
  const out: number[] = []
  let v = value
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return out
}
const pbInt = (field: number, value: number) => Buffer.from([...varint(field << 3), ...varint(value)])
const pbBytes = (field: number, bytes: Uint8Array | string) => {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  return Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(data.length)]), data])
}

/** ValueInfoProto of a tensor: name, elem_type, shape (numbers fixed, strings symbolic). */
function valueInfo(name: string, elemType: number, shape: readonly (number | string)[]): Buffer {
  const dims = shape.map((d) => pbBytes(1, typeof d === 'number' ? pbInt(1, d) : pbBytes(2, d)))
  const tensorType = Buffer.concat([pbInt(1, elemType), pbBytes(2, Buffer.concat(dims))])
  return Buffer.concat([pbBytes(1, name), pbBytes(2, pbBytes(1, tensorType))])
}

/**
 * A valid embed_tokens graph (Gather from a float table) whose vectors have `hidden` elements: swapped into a
 * folder whose decoder takes another size, it is the "graphs from different models" case.
 */
export function embedTokensGraph(hidden: number, vocab = 64): Buffer {
  const table = Buffer.alloc(vocab * hidden * 4)
  const initializer = Buffer.concat([
    pbInt(1, vocab),
    pbInt(1, hidden),
    pbInt(2, 1), // FLOAT
    pbBytes(8, 'table'),
    pbBytes(9, table)
  ])
  const node = Buffer.concat([
    pbBytes(1, 'table'),
    pbBytes(1, 'input_ids'),
    pbBytes(2, 'inputs_embeds'),
    pbBytes(3, 'gather'),
    pbBytes(4, 'Gather')
  ])
  const graph = Buffer.concat([
    pbBytes(1, node),
    pbBytes(2, 'embed_tokens'),
    pbBytes(5, initializer),
    pbBytes(11, valueInfo('input_ids', 7, ['batch_size', 'sequence_length'])),
    pbBytes(12, valueInfo('inputs_embeds', 1, ['batch_size', 'sequence_length', hidden]))
  ])
  return Buffer.concat([
    pbInt(1, 8),
    pbBytes(8, Buffer.concat([pbBytes(1, ''), pbInt(2, 17)])),
    pbBytes(7, graph)
  ])
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY a "lollollollollollollollollollol">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text y="20">&i;</text></svg>
`

/** An SVG referencing a local file and a URL (a canary file the test can watch, and an unroutable address). */
function svgWithReferences(canaryPath: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">
  <image href="file://${canaryPath}" width="32" height="32"/>
  <image xlink:href="http://10.255.255.1:9/x.png" x="32" width="32" height="32"/>
  <rect width="8" height="8" fill="red"/>
</svg>
`
}

/** Builds the corpus in a new temp folder (or under `options.dir`). Takes about a second. */
export async function buildHostileCorpus(options: { readonly dir?: string } = {}): Promise<HostileCorpus> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'smolvlm-hostile-')))
  const imagesDir = join(dir, 'images')
  const modelsDir = join(dir, 'models')
  await mkdir(imagesDir, { recursive: true })
  await mkdir(modelsDir, { recursive: true })
  const images: CorpusEntry[] = []
  const models: CorpusEntry[] = []
  const skipped: { id: string; reason: string }[] = []
  const at = (name: string) => join(imagesDir, name)
  const add = async (
    entry: Omit<CorpusEntry, 'path'> & { readonly name: string },
    bytes?: Uint8Array | string
  ): Promise<void> => {
    const path = at(entry.name)
    if (bytes !== undefined) await writeFile(path, bytes)
    images.push({ id: entry.id, path, expect: entry.expect, message: entry.message, note: entry.note })
  }

  const png = await solid(48, 32).png().toBuffer()
  const jpeg = await solid(48, 32).jpeg({ quality: 90 }).toBuffer()

  await add({ id: 'valid-png', name: 'valid.png', expect: 'ok', note: 'a normal image' }, png)
  await add({ id: 'zero-byte', name: 'zero.png', expect: 'bad-image', message: /empty/, note: '0 bytes' }, '')
  await add(
    { id: 'truncated-jpeg', name: 'truncated.jpg', expect: 'bad-image', note: 'the first half of a JPEG' },
    jpeg.subarray(0, Math.floor(jpeg.length / 2))
  )
  await add(
    { id: 'truncated-png', name: 'truncated.png', expect: 'bad-image', note: 'the first half of a PNG' },
    png.subarray(0, Math.floor(png.length / 2))
  )
  await add(
    { id: 'text-as-png', name: 'text.png', expect: 'bad-image', note: 'plain text named .png' },
    'This is not an image.\n'.repeat(20)
  )
  const random = Buffer.alloc(4096)
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24
  await add(
    { id: 'random-as-jpeg', name: 'random.jpg', expect: 'bad-image', note: 'random bytes named .jpg' },
    random
  )
  await add(
    {
      id: 'header-100000-squared',
      name: 'bomb.png',
      expect: 'image-too-large',
      note: 'a PNG header claiming 100,000 x 100,000 pixels (10 gigapixels)'
    },
    pngWithHeader(100_000, 100_000)
  )
  await add(
    { id: '16-bit', name: 'sixteen.png', expect: 'ok', note: '16-bit RGB PNG' },
    await solid(40, 30).toColourspace('rgb16').png().toBuffer()
  )
  await add(
    { id: 'cmyk', name: 'cmyk.jpg', expect: 'ok', note: 'CMYK JPEG' },
    await solid(40, 30).toColourspace('cmyk').jpeg().toBuffer()
  )
  await add(
    { id: 'animated-gif', name: 'animated.gif', expect: 'ok', note: '3-frame GIF: first frame' },
    await animated('gif', 3)
  )
  await add(
    { id: 'animated-webp', name: 'animated.webp', expect: 'ok', note: '3-frame WebP: first frame' },
    await animated('webp', 3)
  )
  await add(
    { id: 'multi-page-tiff', name: 'pages.tiff', expect: 'ok', note: '3-page TIFF: first page' },
    await animated('tiff', 3)
  )
  const canary = join(dir, 'svg-canary.png')
  await writeFile(canary, png)
  await add(
    {
      id: 'svg-references',
      name: 'references.svg',
      expect: 'bad-image',
      message: /SVG|not an image/,
      note: `SVG with file:// (${canary}) and http:// references: refused without reading either`
    },
    svgWithReferences(canary)
  )
  await add(
    {
      id: 'svg-as-png',
      name: 'references-svg.png',
      expect: 'bad-image',
      note: 'the same SVG named .png'
    },
    svgWithReferences(canary)
  )
  await add(
    {
      id: 'svg-billion-laughs',
      name: 'laughs.svg',
      expect: 'bad-image',
      note: 'XML entity expansion (billion laughs): refused quickly'
    },
    BILLION_LAUGHS
  )
  await add(
    { id: '1x1', name: 'one.png', expect: 'ok', note: 'a single pixel' },
    await solid(1, 1).png().toBuffer()
  )
  await add(
    { id: '20000x10', name: 'strip.png', expect: 'ok', note: 'a 20000 x 10 strip' },
    await solid(20_000, 10).png().toBuffer()
  )
  await add(
    { id: 'unicode-name', name: 'café-日本語-Ünïcödé.png', expect: 'ok', note: 'non-ASCII name' },
    png
  )
  await add({ id: 'emoji-name', name: '📷 photo 🐈.png', expect: 'ok', note: 'emoji in the name' }, png)
  await add({ id: 'newline-name', name: 'two\nlines.png', expect: 'ok', note: 'a newline in the name' }, png)
  await add(
    { id: 'ansi-name', name: '\u001b[31mred\u001b[0m.png', expect: 'ok', note: 'ANSI escape in the name' },
    png
  )
  await add({ id: 'leading-dash', name: '-n.png', expect: 'ok', note: 'a name starting with a dash' }, png)
  await add({ id: 'long-name', name: `${'l'.repeat(250)}.png`, expect: 'ok', note: '254-byte name' }, png)
  await add({
    id: 'name-too-long',
    name: `${'x'.repeat(300)}.png`,
    expect: 'bad-image',
    note: 'a 304-byte name (above the 255 a folder entry may have; ENAMETOOLONG)'
  })
  await mkdir(at('folder.jpg'))
  await add({
    id: 'folder',
    name: 'folder.jpg',
    expect: 'bad-image',
    message: /folder/,
    note: 'a folder named like an image'
  })
  await writeFile(at('unreadable.png'), png)
  await chmod(at('unreadable.png'), 0o000)
  await add({
    id: 'unreadable',
    name: 'unreadable.png',
    expect: isRoot ? 'ok' : 'bad-image',
    message: isRoot ? undefined : /permission/,
    note: isRoot ? 'chmod 000, but root reads it anyway' : 'chmod 000: permission denied'
  })
  await symlink('loop-b.png', at('loop-a.png'))
  await symlink('loop-a.png', at('loop-b.png'))
  await add({ id: 'symlink-loop', name: 'loop-a.png', expect: 'bad-image', note: 'a symlink loop' })
  await symlink('nowhere.png', at('dangling.png'))
  await add({ id: 'dangling-symlink', name: 'dangling.png', expect: 'bad-image', note: 'a broken symlink' })
  await add({
    id: 'missing',
    name: 'deleted.png',
    expect: 'bad-image',
    message: /does not exist/,
    note: 'a file that is not there (deleted before the batch reached it)'
  })
  await symlink('/dev/zero', at('zero-device.png'))
  await add({
    id: 'dev-zero',
    name: 'zero-device.png',
    expect: 'bad-image',
    message: /character device|not a regular file/,
    note: 'symlink to /dev/zero: must not read without end'
  })
  await symlink('/dev/urandom', at('urandom.png'))
  await add({
    id: 'dev-urandom',
    name: 'urandom.png',
    expect: 'bad-image',
    message: /character device|not a regular file/,
    note: 'symlink to /dev/urandom: must not read without end'
  })
  try {
    execFileSync('mkfifo', [at('fifo.png')])
    await add({
      id: 'fifo',
      name: 'fifo.png',
      expect: 'bad-image',
      message: /named pipe/,
      note: 'a FIFO named .png: opening it for reading would block until a writer comes'
    })
  } catch (error) {
    skipped.push({ id: 'fifo', reason: `mkfifo failed: ${String(error)}` })
  }
  await add(
    { id: 'valid-jpeg', name: 'valid.jpg', expect: 'ok', note: 'a normal image after the others' },
    jpeg
  )

  // Model folders: tiny-gqa's fp32 files as symlinks, one part broken.
  const gqa = modelDir('tiny-gqa')
  const mha = modelDir('tiny-mha')
  const CONFIGS = [
    'added_tokens.json',
    'chat_template.json',
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'processor_config.json',
    'special_tokens_map.json',
    'tokenizer.json',
    'tokenizer_config.json'
  ]
  const GRAPHS = ['vision_encoder.onnx', 'embed_tokens.onnx', 'decoder_model_merged.onnx']
  const modelFolder = async (
    entry: Omit<CorpusEntry, 'path'>,
    replace: Record<string, string | Uint8Array | { link: string } | null>
  ): Promise<void> => {
    const folder = join(modelsDir, entry.id)
    await mkdir(join(folder, 'onnx'), { recursive: true })
    for (const file of [...CONFIGS, ...GRAPHS.map((g) => `onnx/${g}`)]) {
      const target = join(folder, file)
      const override = replace[file]
      if (override === undefined) await symlink(join(gqa, file), target)
      else if (override === null) continue
      else if (typeof override === 'object' && 'link' in override) await symlink(override.link, target)
      else await writeFile(target, override)
    }
    models.push({ ...entry, path: folder })
  }
  await mkdir(join(modelsDir, 'empty'))
  models.push({
    id: 'empty',
    path: join(modelsDir, 'empty'),
    expect: 'model-missing',
    note: 'an empty folder'
  })
  await modelFolder(
    { id: 'no-decoder', expect: 'model-missing', message: /decoder_model_merged/, note: 'no decoder graph' },
    { 'onnx/decoder_model_merged.onnx': null }
  )
  await modelFolder(
    {
      id: 'bad-config-json',
      expect: 'model-corrupt',
      message: /config\.json/,
      note: 'config.json is not JSON'
    },
    { 'config.json': '{"model_type": "idefics3", ' }
  )
  await modelFolder(
    {
      id: 'bad-tokenizer-json',
      expect: 'model-corrupt',
      message: /tokenizer\.json/,
      note: 'tokenizer.json is valid JSON but not a tokenizer'
    },
    { 'tokenizer.json': '{"version": "1.0", "model": {"type": "Nonsense"}}' }
  )
  await modelFolder(
    {
      id: 'truncated-tokenizer-json',
      expect: 'model-corrupt',
      message: /tokenizer\.json/,
      note: 'tokenizer.json cut short'
    },
    { 'tokenizer.json': '{"version": "1.0", "truncation": null, "added_tokens": [' }
  )
  await modelFolder(
    {
      id: 'tokenizer-dev-zero',
      expect: 'model-corrupt',
      message: /tokenizer\.json/,
      note: 'tokenizer.json is a symlink to /dev/zero'
    },
    { 'tokenizer.json': { link: '/dev/zero' } }
  )
  await modelFolder(
    {
      id: 'garbage-decoder',
      expect: 'model-corrupt',
      message: /decoder_model_merged/,
      note: 'the decoder graph is random bytes'
    },
    { 'onnx/decoder_model_merged.onnx': random }
  )
  await modelFolder(
    {
      id: 'mismatched-embed',
      expect: 'model-corrupt',
      message: /embed_tokens/,
      note: 'an embed_tokens graph making vectors of size 16 beside a decoder taking size 8'
    },
    { 'onnx/embed_tokens.onnx': embedTokensGraph(16) }
  )
  await modelFolder(
    {
      id: 'mismatched-vision',
      expect: 'model-corrupt',
      message: /vision_encoder/,
      note: "tiny-mha's vision encoder (48-pixel tiles, 4 features each) in tiny-gqa's folder (64, 16)"
    },
    { 'onnx/vision_encoder.onnx': { link: join(mha, 'onnx', 'vision_encoder.onnx') } }
  )
  try {
    await modelFolder(
      {
        id: 'config-fifo',
        expect: 'model-corrupt',
        message: /config\.json.*named pipe/,
        note: 'config.json is a FIFO'
      },
      { 'config.json': null }
    )
    execFileSync('mkfifo', [join(modelsDir, 'config-fifo', 'config.json')])
  } catch (error) {
    models.pop()
    skipped.push({ id: 'config-fifo', reason: `mkfifo failed: ${String(error)}` })
  }

  return {
    dir,
    images,
    models,
    skipped,
    cleanup: async () => {
      await chmod(at('unreadable.png'), 0o644).catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    }
  }
}
