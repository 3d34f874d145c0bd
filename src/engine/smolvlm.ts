import { basename } from 'node:path'
import { SmolvlmError } from './errors.ts'
import { commonPrefixLength, generateTokens } from './generate.ts'
import { generateBatch } from './generate-batch.ts'
import type { BatchSequence } from './generate-batch.ts'
import type { GenerationResult, KvSnapshot, ModelInputs } from './generate.ts'
import { toRgbOverWhite } from './image/alpha-composite.ts'
import { decodeImage, MAX_IMAGE_FILE_BYTES } from './image/decode-image.ts'
import type { Rgb8Image } from './image/raster.ts'
import { checkModelFits } from './model-fit.ts'
import { openModelFolder } from './model-files.ts'
import type { ModelConfig, VariantChoice } from './model-files.ts'
import { ResizePool } from './image/resize-pool.ts'
import { preprocessImages } from './preprocess.ts'
import { readRegularFile } from './read-file.ts'
import type { PreprocessOptions } from './preprocess.ts'
import { countImages, expandImageMarkers, renderChatTemplate } from './prompt.ts'
import type { ChatMessage, TileGrid } from './prompt.ts'
import type { Device } from './runtime.ts'
import type { Sampling } from './sampling.ts'
import { ModelSessions, RunClock } from './sessions.ts'
import type { SessionInfo } from './sessions.ts'
import { TextStreamDecoder, TextTokenizer } from './tokenizer.ts'
import { digest, VisionCache, visionKey } from './vision-cache.ts'

export interface LoadOptions {
  /** Default: per session, the most faithful precision installed (fp32 when present). */
  readonly variant?: VariantChoice
  readonly device?: Device
  readonly threads?: number
  /**
   * Let the decoder return each step's own keys/values instead of the whole cache and only the last position's
   * logits (decoder-rewrite.ts), where its graph allows. Default true; false keeps the graph exactly as shipped.
   */
  readonly rewriteDecoder?: boolean
}

/** An image as a file path, or as encoded bytes (a paste, a browser upload), or already decoded. */
export type ImageInput =
  string | Uint8Array | { readonly name: string; readonly bytes: Uint8Array } | Rgb8Image

export const DEFAULT_PROMPT = 'Can you describe this image?'

export const DEFAULT_MAX_NEW_TOKENS = 256

export interface DescribeRequest extends PreprocessOptions {
  /** A chat; its image parts take `images` in order. Default: one user turn with every image, then `prompt`. */
  readonly messages?: readonly ChatMessage[]
  readonly prompt?: string
  readonly images?: readonly ImageInput[]
  readonly maxNewTokens?: number
  readonly sampling?: Sampling
  readonly repetitionPenalty?: number
  readonly ignoreEos?: boolean
  /**
   * Continue from the previous generation's cache where the new prompt repeats it (a follow-up turn about the
   * same image): the shared prefix, image tokens included, is neither encoded nor prefilled again. Numerically
   * this is a split prefill, so on a knife-edge logit it may pick another token than one full prefill would.
   */
  readonly reusePrefix?: boolean
  /** Largest accepted image, in pixels (decompression-bomb guard). */
  readonly maxPixels?: number
}

export interface DescribeStats {
  readonly inputTokens: number
  readonly tiles: number
  readonly generatedTokens: number
  /** Prompt tokens continued from the previous generation's cache (reusePrefix). */
  readonly reusedTokens: number
  readonly preprocessMs: number
  readonly visionMs: number
  readonly prefillMs: number
  /** From the request to the first generated token. */
  readonly ttftMs: number
  readonly decodeMs: number
  /** Tokens after the first, per second of decoding. */
  readonly tokensPerSecond: number
  readonly totalMs: number
  /** Time inside onnxruntime's session.run (the floor our own code adds to). */
  readonly ortMs: number
}

export type DescribeEvent =
  | {
      readonly type: 'started'
      readonly inputTokens: number
      readonly tiles: number
      readonly grids: readonly TileGrid[]
    }
  /**
   * A stage's time so far. The vision encoder reports after each frame (done of total frames); every stage ends with
   * one event whose done equals total (or that has no counts).
   */
  | {
      readonly type: 'progress'
      readonly stage: 'preprocess' | 'vision' | 'prefill'
      readonly ms: number
      readonly done?: number
      readonly total?: number
    }
  /** A text delta; id is the generated token, or null for text held back until the end (an unfinished character). */
  | { readonly type: 'token'; readonly id: number | null; readonly text: string }
  | {
      readonly type: 'done'
      readonly text: string
      readonly tokenIds: readonly number[]
      readonly stoppedBy: GenerationResult['stoppedBy']
      readonly cancelled: boolean
      readonly stats: DescribeStats
    }

export interface PreparedInputs extends ModelInputs {
  readonly prompt: string
  readonly grids: readonly TileGrid[]
  readonly tiles: number
  readonly preprocessMs: number
  /** The images' content + tiling options, for the vision cache. */
  readonly visionKey?: string
  /** Features from the vision cache (then pixelValues are absent). */
  readonly imageFeatures?: Float32Array
}

export interface ModelInfo {
  readonly dir: string
  readonly sessions: readonly SessionInfo[]
  /** The provider running the decoder: what "device" means to a user. */
  readonly provider: SessionInfo['provider']
  readonly config: Omit<ModelConfig, 'tokenizerJson' | 'tokenizerConfig' | 'chatTemplate'>
  /**
   * How the decoder cache is kept (decoder-rewrite.ts, kv-cache.ts): 'appended', the decoder returns each step's
   * keys/values and the engine appends them; 'capacity', the same for GroupQueryAttention graphs, into buffers fed
   * whole; 'shared-buffer', GroupQueryAttention writes into one buffer that is both past and present; 'present',
   * the graph as shipped returns the whole cache each step.
   */
  readonly kvCache: 'appended' | 'capacity' | 'shared-buffer' | 'present'
  /** Whether the decoder computes logits for the last position only (instead of the whole prompt). */
  readonly lastPositionLogits: boolean
  readonly loadMs: number
}

/** The done event of a generation, its stats from the result and the caller's timings. */
export function doneEvent(
  text: string,
  result: GenerationResult,
  times: Pick<
    DescribeStats,
    'inputTokens' | 'tiles' | 'preprocessMs' | 'visionMs' | 'ttftMs' | 'totalMs' | 'ortMs'
  >
): DescribeEvent {
  const generated = result.tokenIds.length
  return {
    type: 'done',
    text,
    tokenIds: result.tokenIds,
    stoppedBy: result.stoppedBy,
    cancelled: result.stoppedBy === 'cancelled',
    stats: {
      ...times,
      generatedTokens: generated,
      reusedTokens: result.reusedTokens,
      prefillMs: result.prefillMs,
      decodeMs: result.decodeMs,
      tokensPerSecond: generated > 1 && result.decodeMs > 0 ? ((generated - 1) * 1000) / result.decodeMs : 0
    }
  }
}

/** The done event of a request cancelled before it produced anything (`ms` spent reading it). */
export function cancelledDone(ms = 0): DescribeEvent {
  return doneEvent(
    '',
    { tokenIds: [], stoppedBy: 'cancelled', reusedTokens: 0, prefillMs: 0, ttftMs: 0, decodeMs: 0 },
    { inputTokens: 0, tiles: 0, preprocessMs: ms, visionMs: 0, ttftMs: 0, totalMs: ms, ortMs: 0 }
  )
}

function imageLabel(input: ImageInput, index: number): string {
  if (typeof input === 'string') return basename(input)
  if ('name' in input && typeof input.name === 'string') return input.name
  return `image ${index + 1}`
}

/** An image's encoded bytes (read once: hashed for the vision cache, then decoded) or its raster. */
type ImageSource =
  | { readonly label: string; readonly bytes: Uint8Array }
  | { readonly label: string; readonly raster: Rgb8Image }

async function readSource(input: ImageInput, index: number, signal?: AbortSignal): Promise<ImageSource> {
  const label = imageLabel(input, index)
  if (typeof input === 'object' && 'width' in input) return { label, raster: input }
  if (typeof input !== 'string') return { label, bytes: input instanceof Uint8Array ? input : input.bytes }
  // Only a regular file of bounded size, cancellable (a FIFO or /dev/zero named .png must not hang the worker).
  const file = await readRegularFile(input, {
    maxBytes: MAX_IMAGE_FILE_BYTES,
    code: 'bad-image',
    label,
    signal
  })
  return { label, bytes: new Uint8Array(file.buffer, file.byteOffset, file.byteLength) }
}

function sourceDigest(source: ImageSource): string {
  return 'bytes' in source
    ? digest(source.bytes)
    : digest(source.raster.data, `${source.raster.width}x${source.raster.height}`)
}

async function toRaster(source: ImageSource, maxPixels: number | undefined): Promise<Rgb8Image> {
  if ('raster' in source) return source.raster
  try {
    return toRgbOverWhite(await decodeImage(source.bytes, { maxPixels, name: source.label }))
  } catch (error) {
    if (error instanceof SmolvlmError) throw error
    throw new SmolvlmError('bad-image', `${source.label} could not be read: ${String(error)}`)
  }
}

/** The tokenizer, or 'model-corrupt' naming tokenizer.json when the library cannot build one from it. */
function loadTokenizer(config: ModelConfig, dir: string): TextTokenizer {
  try {
    return new TextTokenizer(config.tokenizerJson, config.tokenizerConfig)
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause)
    throw new SmolvlmError(
      'model-corrupt',
      `tokenizer.json in the model folder ${dir} is not a tokenizer that can be read (${why.slice(0, 200)}).`,
      { cause }
    )
  }
}

/** A loaded SmolVLM: sessions kept warm, describe() streams captions. */
export class SmolVLM {
  private readonly visionCache = new VisionCache()
  private readonly resizer = new ResizePool()
  /** The decoder cache of the last generation, kept only while callers ask to reuse it. */
  private snapshot: KvSnapshot | undefined

  private constructor(
    private readonly sessions: ModelSessions,
    private readonly config: ModelConfig,
    readonly tokenizer: TextTokenizer,
    private readonly stopTokenIds: ReadonlySet<number>,
    readonly info: ModelInfo
  ) {}

  static async load(dir: string, options: LoadOptions = {}): Promise<SmolVLM> {
    const start = performance.now()
    const files = await openModelFolder(dir, options.variant)
    const tokenizer = loadTokenizer(files.config, dir)
    const sessions = await ModelSessions.load(
      files,
      { device: options.device ?? 'auto', threads: options.threads },
      { rewriteDecoder: options.rewriteDecoder }
    )
    try {
      checkModelFits({
        dir,
        config: files.config,
        paths: {
          vision_encoder: files.sessions.vision_encoder.path,
          embed_tokens: files.sessions.embed_tokens.path,
          decoder_model_merged: files.sessions.decoder_model_merged.path
        },
        sessions: {
          vision_encoder: sessions.vision.session,
          embed_tokens: sessions.embed.session,
          decoder_model_merged: sessions.decoder.session
        }
      })
    } catch (error) {
      await sessions.release()
      throw error
    }
    // generation_config's eos, and defensively the end-of-text markers a fine-tune may emit instead.
    const stop = new Set(files.config.generation.eosTokenIds)
    for (const token of ['<end_of_utterance>', '<|im_end|>', '<|endoftext|>']) {
      const id = tokenizer.tokenId(token)
      if (id !== undefined) stop.add(id)
    }
    const { tokenizerJson: _j, tokenizerConfig: _c, chatTemplate: _t, ...config } = files.config
    const info: ModelInfo = {
      dir,
      sessions: sessions.info,
      provider: sessions.info.find((s) => s.session === 'decoder_model_merged')?.provider ?? 'cpu',
      config,
      kvCache: sessions.cache.newKvOutputs
        ? sessions.cache.newKvLayout === 'positions'
          ? 'capacity'
          : 'appended'
        : sessions.cache.sharedBuffer
          ? 'shared-buffer'
          : 'present',
      lastPositionLogits: sessions.cache.lastPositionLogits,
      loadMs: performance.now() - start
    }
    return new SmolVLM(sessions, files.config, tokenizer, stop, info)
  }

  /** The chat for a request: its own messages, or one user turn with every image followed by the prompt. */
  messagesFor(request: DescribeRequest): readonly ChatMessage[] {
    if (request.messages) return request.messages
    const images = request.images ?? []
    return [
      {
        role: 'user',
        content: [
          ...images.map(() => ({ type: 'image' as const })),
          { type: 'text', text: request.prompt ?? DEFAULT_PROMPT }
        ]
      }
    ]
  }

  /**
   * Decodes and preprocesses the images, renders and tokenises the prompt: the exact model inputs. Images seen
   * before with the same tiling options come back as cached features instead of pixels, unless `withPixels`.
   */
  async prepare(
    request: DescribeRequest,
    options: { withPixels?: boolean; signal?: AbortSignal } = {}
  ): Promise<PreparedInputs> {
    const start = performance.now()
    const messages = this.messagesFor(request)
    const images = request.images ?? []
    if (countImages(messages) !== images.length) {
      throw new SmolvlmError(
        'bad-request',
        `The messages have ${countImages(messages)} image parts but ${images.length} images were given.`
      )
    }
    const prompt = renderChatTemplate(this.config.chatTemplate, messages, this.tokenizer.specialTokens())
    if (images.length === 0) {
      return {
        prompt,
        inputIds: this.tokenizer.encode(prompt),
        grids: [],
        tiles: 0,
        preprocessMs: performance.now() - start
      }
    }
    const tileSize = this.config.preprocess.tileSize
    if (request.longestEdge !== undefined && request.longestEdge < tileSize) {
      // The image would be shrunk below one tile and scaled back up by the processor: only blur, no speed.
      throw new SmolvlmError(
        'bad-request',
        `A longest edge of ${request.longestEdge} px is below this model's tile size of ${tileSize} px: use ${tileSize} or more.`
      )
    }
    const sources = await Promise.all(images.map((image, i) => readSource(image, i, options.signal)))
    const key = visionKey(sources.map(sourceDigest), {
      split: request.doImageSplitting ?? this.config.preprocess.doImageSplitting,
      longestEdge: request.longestEdge ?? this.config.preprocess.longestEdge
    })
    const cached = options.withPixels ? undefined : this.visionCache.get(key)
    if (cached) {
      const expanded = expandImageMarkers(prompt, cached.grids, this.config.imageSeqLen)
      return {
        prompt,
        inputIds: this.tokenizer.encode(expanded),
        grids: cached.grids,
        tiles: cached.tiles,
        imageFeatures: cached.features,
        visionKey: key,
        preprocessMs: performance.now() - start
      }
    }
    const rasters = await Promise.all(sources.map((source) => toRaster(source, request.maxPixels)))
    const processed = await preprocessImages(rasters, this.config.preprocess, request, (image, w, h) =>
      this.resizer.resize(image, w, h)
    )
    const expanded = expandImageMarkers(prompt, processed.grids, this.config.imageSeqLen)
    const tile = processed.tileSize
    return {
      prompt,
      inputIds: this.tokenizer.encode(expanded),
      pixelValues: { data: processed.pixelValues, dims: [1, processed.frames, 3, tile, tile] },
      pixelAttentionMask: {
        data: new Uint8Array(processed.frames * tile * tile).fill(1),
        dims: [1, processed.frames, tile, tile]
      },
      grids: processed.grids,
      tiles: processed.frames,
      visionKey: key,
      preprocessMs: performance.now() - start
    }
  }

  /**
   * Refuses a prompt longer than the context the model was trained for, before any of it runs: past it the answer
   * degrades, and the prefill's attention grows with the square of the length (a 1,000-tile prompt on the tiny
   * test model took 24 GB before the system killed it).
   */
  checkContext(inputIds: readonly number[], tiles: number): void {
    const max = this.config.text.maxPositions
    if (inputIds.length <= max) return
    const images = tiles > 0 ? ` with its ${tiles.toLocaleString('en-US')} image tiles` : ''
    const advice =
      tiles > 0
        ? ' Use a smaller "longest edge" (fast mode, or fewer images at once).'
        : ' Shorten the conversation.'
    throw new SmolvlmError(
      'bad-request',
      `This request is ${inputIds.length.toLocaleString('en-US')} tokens long${images}; the model reads at most ` +
        `${max.toLocaleString('en-US')}.${advice}`
    )
  }

  /** Streams a caption: started, progress per stage, one token event per generated id, then done. */
  async *describe(
    request: DescribeRequest,
    options: { signal?: AbortSignal } = {}
  ): AsyncGenerator<DescribeEvent> {
    const start = performance.now()
    let prepared: PreparedInputs
    try {
      prepared = await this.prepare(request, { signal: options.signal })
    } catch (error) {
      // Cancelled while an image was being read: the same ending as a cancel before the first token.
      const readCancelled = error instanceof SmolvlmError && error.code === 'cancelled'
      if (!(options.signal?.aborted && readCancelled)) throw error
      yield cancelledDone(performance.now() - start)
      return
    }
    yield* this.generate(prepared, request, { signal: options.signal, start })
  }

  /** Generates from ready inputs (prepared, or a dump of the reference's inputs). */
  async *generate(
    inputs: ModelInputs & Partial<Omit<PreparedInputs, keyof ModelInputs | 'prompt'>>,
    request: Omit<DescribeRequest, 'messages' | 'images' | 'prompt'> = {},
    options: { signal?: AbortSignal; start?: number } = {}
  ): AsyncGenerator<DescribeEvent> {
    const start = options.start ?? performance.now()
    const signal = options.signal
    const clock = new RunClock()
    const tiles = inputs.tiles ?? inputs.pixelValues?.dims[1] ?? 0
    this.checkContext(inputs.inputIds, tiles)
    yield { type: 'started', inputTokens: inputs.inputIds.length, tiles, grids: inputs.grids ?? [] }
    if (inputs.preprocessMs !== undefined)
      yield { type: 'progress', stage: 'preprocess', ms: inputs.preprocessMs }

    const prefix = request.reusePrefix ? this.reusablePrefix(inputs.inputIds) : undefined
    if (!request.reusePrefix) this.snapshot = undefined
    const suffixHasImages = inputs.inputIds.slice(prefix?.length ?? 0).includes(this.config.imageTokenId)

    let visionMs = 0
    let features = inputs.imageFeatures
    if (!features && (!prefix || suffixHasImages)) {
      const vision = this.imageFeatures(inputs, clock, signal)
      let step = await vision.next()
      while (!step.done) {
        if (step.value.type === 'progress') visionMs = step.value.ms
        yield step.value
        step = await vision.next()
      }
      features = step.value
    }

    const stream = new TextStreamDecoder(this.tokenizer)
    const steps = generateTokens(this.sessions, inputs.inputIds, features, {
      maxNewTokens: request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      sampling: request.sampling ?? { kind: 'greedy' },
      repetitionPenalty: request.repetitionPenalty,
      ignoreEos: request.ignoreEos,
      stopTokenIds: this.stopTokenIds,
      imageTokenId: this.config.imageTokenId,
      hiddenSize: this.config.text.hiddenSize,
      signal,
      clock,
      prefix
    })
    let ttftMs = 0
    let next = await steps.next()
    while (!next.done) {
      const step = next.value
      if (step.type === 'prefill') yield { type: 'progress', stage: 'prefill', ms: step.ms }
      else {
        if (ttftMs === 0) ttftMs = performance.now() - start
        if (!this.stopTokenIds.has(step.id) || request.ignoreEos) {
          yield { type: 'token', id: step.id, text: stream.push(step.id) }
        }
      }
      next = await steps.next()
    }
    const result = next.value
    if (request.reusePrefix) this.snapshot = result.snapshot
    const tail = stream.flush()
    if (tail) yield { type: 'token', id: null, text: tail }
    yield doneEvent(stream.text, result, {
      inputTokens: inputs.inputIds.length,
      tiles,
      preprocessMs: inputs.preprocessMs ?? 0,
      visionMs,
      ttftMs,
      totalMs: performance.now() - start,
      ortMs: clock.ortMs
    })
  }

  /**
   * The image features of prepared inputs: the vision encoder frame by frame with a progress event after each
   * (kept in the vision cache), or undefined without pixels or when cancelled.
   */
  async *imageFeatures(
    inputs: ModelInputs & Partial<Pick<PreparedInputs, 'tiles' | 'grids' | 'visionKey'>>,
    clock: RunClock,
    signal?: AbortSignal
  ): AsyncGenerator<DescribeEvent, Float32Array | undefined> {
    if (!inputs.pixelValues) return undefined
    const visionStart = performance.now()
    const { data, dims } = inputs.pixelValues
    const frames = dims[1]
    const mask = inputs.pixelAttentionMask?.data ?? new Uint8Array((data.length / 3) | 0).fill(1)
    // One frame per run, every precision: peak memory is one frame's activations (a 13-frame photo through the
    // uint8 encoder in one run peaked at 5.0 GB, frame by frame at 1.2 GB), runs are no slower per frame, and a
    // dynamically quantised encoder (uint8) scales each frame by its own activation range, which agrees with fp32
    // at least as well as one range for all frames (docs/performance.md). The Python reference runs frames alike.
    let all: Float32Array | undefined
    for (let frame = 0; frame < frames && !signal?.aborted; frame++) {
      const part = await this.sessions.encodeFrames(data, mask, dims, frame, 1, clock)
      all ??= new Float32Array(part.length * frames)
      all.set(part, part.length * frame)
      yield {
        type: 'progress',
        stage: 'vision',
        ms: performance.now() - visionStart,
        done: frame + 1,
        total: frames
      }
    }
    if (signal?.aborted || !all) return undefined
    if (inputs.visionKey)
      this.visionCache.set(inputs.visionKey, {
        features: all,
        grids: inputs.grids ?? [],
        tiles: inputs.tiles ?? frames
      })
    return all
  }

  /** A decoder of generated ids into text deltas that never split a character. */
  textStream(): TextStreamDecoder {
    return new TextStreamDecoder(this.tokenizer)
  }

  /** Whether an id ends a caption (generation_config's eos and the chat's end tokens). */
  isStopToken(id: number): boolean {
    return this.stopTokenIds.has(id)
  }

  /** Whether describeBatch can decode several images in one run (the official files' decoder graph). */
  get canBatch(): boolean {
    return this.sessions.canBatch
  }

  /** Several prepared prompts of one length decoded together (generate-batch.ts). */
  decodeBatch(sequences: readonly BatchSequence[], clock: RunClock, signal?: AbortSignal) {
    return generateBatch(this.sessions, sequences, {
      stopTokenIds: this.stopTokenIds,
      imageTokenId: this.config.imageTokenId,
      hiddenSize: this.config.text.hiddenSize,
      clock,
      signal
    })
  }

  /** The part of a new prompt that the kept cache already holds (at least one id is always left to prefill). */
  private reusablePrefix(inputIds: readonly number[]): { snapshot: KvSnapshot; length: number } | undefined {
    if (!this.snapshot) return undefined
    const length = Math.min(commonPrefixLength(inputIds, this.snapshot.ids), inputIds.length - 1)
    return length > 0 ? { snapshot: this.snapshot, length } : undefined
  }

  /** Forgets cached image features and the kept decoder cache (e.g. to free memory). */
  clearCache(): void {
    this.visionCache.clear()
    this.snapshot = undefined
  }

  async dispose(): Promise<void> {
    await this.resizer.close()
    await this.sessions.release()
  }
}
