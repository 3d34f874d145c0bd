import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SmolvlmError } from './errors.ts'
import { AppendedCache, CapacityCache, PresentCache, SharedBufferCache, truncateCache } from './kv-cache.ts'
import type { DecoderCache } from './kv-cache.ts'
import { rewriteDecoder } from './decoder-rewrite.ts'
import { readModelSkeleton } from './onnx-skeleton.ts'
import { float16ToFloat32Array, float32ToFloat16Array } from './float16.ts'
import type { ModelFiles, SessionName, Variant } from './model-files.ts'
import { textSessionsDevice } from './placement.ts'
import { createSession, ort, tensorMetadata } from './runtime.ts'
import type {
  ExecutionProvider,
  LoadedSession,
  ProviderAttempt,
  RuntimeOptions,
  TensorMetadata
} from './runtime.ts'

/** What ran where: shown to the user so a silent CPU fallback never goes unnoticed. */
export interface SessionInfo {
  readonly session: SessionName
  readonly variant: Variant
  readonly provider: ExecutionProvider
  readonly fallbacks: readonly ProviderAttempt[]
}

type FloatType = 'float32' | 'float16'

function floatType(meta: TensorMetadata | undefined, what: string): FloatType {
  if (meta?.type === 'float32' || meta?.type === 'float16') return meta.type
  throw new SmolvlmError(
    'model-corrupt',
    `${what} has type ${meta?.type ?? 'none'}; expected float32 or float16.`
  )
}

/** A float32 array as a tensor of the dtype the session declares for that input. */
export function floatTensor(type: FloatType, data: Float32Array, dims: readonly number[]): ort.Tensor {
  return type === 'float16'
    ? new ort.Tensor('float16', float32ToFloat16Array(data), dims)
    : new ort.Tensor('float32', data, dims)
}

/** A float tensor's elements [start, end) as float32 (converting float16 bit patterns). */
export function readFloats(tensor: ort.Tensor, start = 0, end = tensor.size): Float32Array {
  if (tensor.type === 'float32') return (tensor.data as Float32Array).subarray(start, end)
  if (tensor.type === 'float16') return float16ToFloat32Array(tensor.data as Uint16Array, start, end)
  throw new SmolvlmError('model-corrupt', `Expected a float tensor, got ${tensor.type}.`)
}

/** The decoder's cache layout, read from its input metadata (never from constants). */
export interface CacheLayout {
  readonly pastNames: readonly string[]
  /** present.* output name → the past_key_values.* input it feeds on the next step. */
  readonly presentToPast: ReadonlyMap<string, string>
  /** When the graph was rewritten to return each step's own keys/values: output name → past input it extends. */
  readonly newKvOutputs?: ReadonlyMap<string, string>
  /** Their layout (decoder-rewrite.ts): 'heads' appended to compact caches, 'positions' into capacity buffers. */
  readonly newKvLayout?: 'heads' | 'positions'
  /** When the graph was rewritten to compute logits for the last position only. */
  readonly lastPositionLogits: boolean
  /** When GroupQueryAttention owns the cache and can share one buffer for past and present (decoder-rewrite.ts). */
  readonly sharedBuffer: boolean
  readonly type: FloatType
  readonly numKeyValueHeads: number
  readonly headDim: number
}

function cacheLayout(
  decoder: ort.InferenceSession,
  fallbackHeads: number,
  fallbackHeadDim: number,
  edits: Pick<CacheLayout, 'newKvOutputs' | 'newKvLayout' | 'lastPositionLogits' | 'sharedBuffer'>
): CacheLayout {
  const { newKvOutputs } = edits
  const inputs = tensorMetadata(decoder.inputMetadata)
  const pastNames = decoder.inputNames.filter((name) => /^past_key_values\.\d+\.(key|value)$/.test(name))
  const presentToPast = new Map<string, string>()
  for (const output of decoder.outputNames) {
    const match = /^present\.(\d+)\.(key|value)$/.exec(output)
    if (match) presentToPast.set(output, `past_key_values.${match[1]}.${match[2]}`)
  }
  const produced = newKvOutputs?.size ?? presentToPast.size
  if (pastNames.length === 0 || produced !== pastNames.length) {
    throw new SmolvlmError(
      'model-corrupt',
      'The decoder does not have matching past_key_values.* inputs and present.* outputs.'
    )
  }
  const first = inputs.get(pastNames[0])
  const numeric = (value: number | string | undefined, fallback: number) =>
    typeof value === 'number' ? value : fallback
  return {
    pastNames,
    presentToPast,
    ...edits,
    type: floatType(first, pastNames[0]),
    numKeyValueHeads: numeric(first?.shape[1], fallbackHeads),
    headDim: numeric(first?.shape[3], fallbackHeadDim)
  }
}

/** Timing of onnxruntime's own work, so callers can tell engine overhead from inference. */
export class RunClock {
  ortMs = 0

  async run(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    what: string,
    preallocated?: Record<string, ort.Tensor>
  ): Promise<ort.InferenceSession.ReturnType> {
    const start = performance.now()
    try {
      if (!preallocated) return await session.run(feeds)
      // Every output is fetched: the pre-allocated ones are filled in place, the others (null) allocated.
      const fetches: Record<string, ort.Tensor | null> = {}
      for (const name of session.outputNames) fetches[name] = preallocated[name] ?? null
      return await session.run(feeds, fetches as ort.InferenceSession.FetchesType)
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error)
      if (/alloc|out of memory|bad_alloc/i.test(text)) {
        throw new SmolvlmError('out-of-memory', `Not enough memory to run the ${what}.`, { cause: error })
      }
      throw new SmolvlmError('internal', `The ${what} failed: ${text.split('\n')[0]}`, { cause: error })
    } finally {
      this.ortMs += performance.now() - start
    }
  }
}

/**
 * The decoder's structure with the load-time edits of decoder-rewrite.ts, its weights left in the file as
 * external-data references (onnx-skeleton.ts): a few hundred kilobytes are read, never the weights. Undefined when
 * the graph allows no edit or cannot be read so. Started before the other sessions are created: onnxruntime-node
 * creates a session on the main thread, while these reads run on libuv's thread pool beside it.
 */
async function rewrittenDecoder(path: string) {
  try {
    const skeleton = await readModelSkeleton(path)
    const rewrite = rewriteDecoder(skeleton.bytes)
    return rewrite && { ...rewrite, externalDataFolder: dirname(path) }
  } catch {
    return undefined
  }
}

/** A graph's size on disk with its external data files (`<name>_data`, `<name>_data_1`, …): its weights' bytes. */
async function weightBytes(path: string): Promise<number> {
  const name = basename(path)
  const dir = dirname(path)
  const files = (await readdir(dir)).filter((file) => file === name || file.startsWith(`${name}_data`))
  const sizes = await Promise.all(files.map(async (file) => (await stat(join(dir, file))).size))
  return sizes.reduce((sum, size) => sum + size, 0)
}

/** The three onnxruntime sessions of a SmolVLM export and the I/O facts read from their metadata. */
export class ModelSessions {
  private constructor(
    readonly vision: LoadedSession,
    readonly embed: LoadedSession,
    readonly decoder: LoadedSession,
    readonly info: readonly SessionInfo[],
    readonly cache: CacheLayout,
    private readonly types: {
      readonly pixelValues: FloatType
      readonly pixelMask: 'bool' | 'int64'
      readonly decoderEmbeds: FloatType
    }
  ) {}

  static async load(
    files: ModelFiles,
    runtime: RuntimeOptions,
    options: { readonly rewriteDecoder?: boolean } = {}
  ): Promise<ModelSessions> {
    const loaded: Partial<Record<SessionName, LoadedSession>> = {}
    const providerFailures = new Map<ExecutionProvider, string>()
    let edits: Pick<CacheLayout, 'newKvOutputs' | 'newKvLayout' | 'lastPositionLogits' | 'sharedBuffer'> = {
      lastPositionLogits: false,
      sharedBuffer: false
    }
    const decoderPath = files.sessions.decoder_model_merged.path
    const decoderEdits = options.rewriteDecoder === false ? undefined : rewrittenDecoder(decoderPath)
    try {
      // One session at a time (in parallel they only raise peak memory), with the decoder's structure read meanwhile.
      loaded.vision_encoder = await createSession(
        files.sessions.vision_encoder.path,
        runtime,
        providerFailures
      )
      const text: RuntimeOptions = {
        ...runtime,
        device: textSessionsDevice(
          runtime.device ?? 'auto',
          loaded.vision_encoder.provider,
          await weightBytes(decoderPath)
        )
      }
      loaded.embed_tokens = await createSession(files.sessions.embed_tokens.path, text, providerFailures)
      const rewrite = await decoderEdits
      if (rewrite) {
        try {
          loaded.decoder_model_merged = await createSession(
            { bytes: rewrite.bytes, path: decoderPath, externalDataFolder: rewrite.externalDataFolder },
            text,
            providerFailures
          )
          edits = {
            newKvOutputs: rewrite.newKvOutputs,
            newKvLayout: rewrite.newKvLayout,
            lastPositionLogits: rewrite.lastPositionLogits,
            sharedBuffer: rewrite.sharedBufferKv
          }
        } catch {
          // The rewritten graph did not load: the file as it is still works, only slower.
        }
      }
      loaded.decoder_model_merged ??= await createSession(decoderPath, text, providerFailures)
    } catch (error) {
      await Promise.all(Object.values(loaded).map((s) => s.session.release()))
      throw error
    }
    const vision = loaded.vision_encoder!
    const embed = loaded.embed_tokens!
    const decoder = loaded.decoder_model_merged!
    const info = (['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const).map((name) => ({
      session: name,
      variant: files.sessions[name].variant,
      provider: loaded[name]!.provider,
      fallbacks: loaded[name]!.failedAttempts
    }))
    try {
      const visionInputs = tensorMetadata(vision.session.inputMetadata)
      const maskType = visionInputs.get('pixel_attention_mask')?.type
      const decoderInputs = tensorMetadata(decoder.session.inputMetadata)
      for (const [session, name] of [
        [vision.session, 'pixel_values'],
        [embed.session, 'input_ids'],
        [decoder.session, 'inputs_embeds'],
        [decoder.session, 'attention_mask']
      ] as const) {
        if (!session.inputNames.includes(name)) {
          throw new SmolvlmError('model-corrupt', `An ONNX graph of ${files.dir} lacks its "${name}" input.`)
        }
      }
      const text = files.config.text
      return new ModelSessions(
        vision,
        embed,
        decoder,
        info,
        cacheLayout(decoder.session, text.numKeyValueHeads, text.headDim, edits),
        {
          pixelValues: floatType(visionInputs.get('pixel_values'), 'pixel_values'),
          pixelMask: maskType === 'int64' ? 'int64' : 'bool',
          decoderEmbeds: floatType(decoderInputs.get('inputs_embeds'), 'inputs_embeds')
        }
      )
    } catch (error) {
      // A model refused after its sessions exist must not keep them.
      await Promise.all([vision, embed, decoder].map((s) => s.session.release()))
      throw error
    }
  }

  get hasPositionIds(): boolean {
    return this.decoder.session.inputNames.includes('position_ids')
  }

  /**
   * Image features of frames [first, first + count) as float32 [count × imageSeqLen × hidden]. Frames are
   * independent in the vision encoder, so running them in small groups gives the same features as one batch
   * (measured bit-identical on the 256M encoder) while the activations of 17 frames at once (~2 GB of attention
   * scores) never exist; it also lets a cancel or a progress report land between frames.
   */
  async encodeFrames(
    pixelValues: Float32Array,
    pixelMask: Uint8Array,
    dims: readonly number[],
    first: number,
    count: number,
    clock: RunClock
  ): Promise<Float32Array> {
    const [, , channels, height, width] = dims
    const frameValues = channels * height * width
    const framePixels = height * width
    const maskData = pixelMask.subarray(first * framePixels, (first + count) * framePixels)
    const maskDims = [1, count, height, width]
    const mask =
      this.types.pixelMask === 'int64'
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from(maskData, (v) => BigInt(v)),
            maskDims
          )
        : new ort.Tensor('bool', maskData, maskDims)
    const values = pixelValues.subarray(first * frameValues, (first + count) * frameValues)
    const feeds: Record<string, ort.Tensor> = {
      pixel_values: floatTensor(this.types.pixelValues, values, [1, count, channels, height, width])
    }
    if (this.vision.session.inputNames.includes('pixel_attention_mask')) feeds['pixel_attention_mask'] = mask
    const outputs = await clock.run(this.vision.session, feeds, 'vision encoder')
    return readFloats(outputs['image_features'] ?? outputs[this.vision.session.outputNames[0]])
  }

  /** Token embeddings as float32, [batch × ids.length / batch × hidden]. */
  async embedTokens(ids: BigInt64Array, clock: RunClock, batch = 1): Promise<Float32Array> {
    const outputs = await clock.run(
      this.embed.session,
      { input_ids: new ort.Tensor('int64', ids, [batch, ids.length / batch]) },
      'token embedding'
    )
    return readFloats(outputs['inputs_embeds'] ?? outputs[this.embed.session.outputNames[0]])
  }

  embedsTensor(embeds: Float32Array, length: number, hidden: number, batch = 1): ort.Tensor {
    return floatTensor(this.types.decoderEmbeds, embeds, [batch, length, hidden])
  }

  /**
   * Whether several sequences can be decoded in one run: the cache must be kept in whole-generation buffers with
   * a batch dimension (the official files' GroupQueryAttention graph as edited by decoder-rewrite.ts).
   */
  get canBatch(): boolean {
    return this.cache.newKvLayout === 'positions' && this.cache.newKvOutputs !== undefined
  }

  /** Empty whole-generation buffers for `batch` sequences of up to `capacity` positions (see canBatch). */
  createBatchCache(capacity: number, batch: number): DecoderCache {
    const { newKvOutputs, type, numKeyValueHeads, headDim } = this.cache
    if (!this.canBatch || !newKvOutputs)
      throw new SmolvlmError('bad-request', 'This decoder cannot decode a batch.')
    return new CapacityCache(newKvOutputs, type, numKeyValueHeads, headDim, capacity, {}, batch)
  }

  /** Zero-length past tensors for the first (prefill) step. */
  emptyCache(): Record<string, ort.Tensor> {
    const { type, numKeyValueHeads, headDim } = this.cache
    const empty = type === 'float16' ? new Uint16Array(0) : new Float32Array(0)
    const result: Record<string, ort.Tensor> = {}
    for (const name of this.cache.pastNames)
      result[name] = new ort.Tensor(type, empty, [1, numKeyValueHeads, 0, headDim])
    return result
  }

  /**
   * The cache for one generation of up to `capacity` positions, starting empty or from the first `prefixLength`
   * positions of a kept cache.
   */
  createCache(
    capacity: number,
    prefix?: { cache: Readonly<Record<string, ort.Tensor>>; length: number }
  ): DecoderCache {
    const initial = prefix ? truncateCache(prefix.cache, prefix.length) : this.emptyCache()
    const { newKvOutputs, newKvLayout, sharedBuffer, presentToPast, type, numKeyValueHeads, headDim } =
      this.cache
    if (newKvOutputs && newKvLayout === 'positions')
      return new CapacityCache(newKvOutputs, type, numKeyValueHeads, headDim, capacity, initial)
    if (newKvOutputs)
      return new AppendedCache(newKvOutputs, type, numKeyValueHeads, headDim, capacity, initial)
    if (sharedBuffer)
      return new SharedBufferCache(presentToPast, type, numKeyValueHeads, headDim, capacity, initial)
    return new PresentCache(presentToPast, initial)
  }

  async release(): Promise<void> {
    await Promise.all([this.vision, this.embed, this.decoder].map((s) => s.session.release()))
  }
}
