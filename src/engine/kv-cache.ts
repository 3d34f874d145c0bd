import { ort } from './runtime.ts'

/**
 * The decoder's key/value cache between steps, in one of three shapes:
 * - `PresentCache`: the graph returns the whole cache (`present.*`) each step and we feed it back as is.
 * - `AppendedCache`: the graph returns only the step's own keys/values (see decoder-rewrite.ts) and we append them to
 *   buffers allocated once per generation, so no per-token allocation grows with the context.
 * - `SharedBufferCache`: GroupQueryAttention graphs (the official files): one buffer per layer and kind, sized for the
 *   whole generation, is both the past input and the present output, and the operator writes each step's keys and
 *   values into it in place.
 */
export interface DecoderCache {
  /** The past_key_values.* feeds for the next run. */
  feeds(): Record<string, ort.Tensor>
  /** Outputs to pre-allocate for the next run (onnxruntime-node writes into them), if any. */
  fetches?(): Record<string, ort.Tensor>
  /** Takes in a run's outputs; `positions` is how many the run fed (its inputs_embeds length). */
  update(outputs: ort.InferenceSession.ReturnType, positions: number): void
  /** The cache as it stands, by past_key_values.* name ([1, heads, length, head dim] each). */
  tensors(): Record<string, ort.Tensor>
}

export type KvType = 'float32' | 'float16'
type KvArray = Float32Array | Uint16Array

function allocate(type: KvType, length: number): KvArray {
  return type === 'float16' ? new Uint16Array(length) : new Float32Array(length)
}

/** The first `length` positions of each cache tensor (a strided copy per head; shared when nothing is cut). */
export function truncateCache(
  cache: Readonly<Record<string, ort.Tensor>>,
  length: number
): Record<string, ort.Tensor> {
  const result: Record<string, ort.Tensor> = {}
  for (const [name, tensor] of Object.entries(cache)) {
    const [batch, heads, stored, headDim] = tensor.dims
    if (stored === length) {
      result[name] = tensor
      continue
    }
    const source = tensor.data as KvArray
    const target = allocate(tensor.type as KvType, batch * heads * length * headDim)
    for (let h = 0; h < batch * heads; h++) {
      target.set(source.subarray(h * stored * headDim, (h * stored + length) * headDim), h * length * headDim)
    }
    result[name] = new ort.Tensor(tensor.type, target, [batch, heads, length, headDim])
  }
  return result
}

export class PresentCache implements DecoderCache {
  private current: Record<string, ort.Tensor>

  constructor(
    private readonly presentToPast: ReadonlyMap<string, string>,
    initial: Record<string, ort.Tensor>
  ) {
    this.current = initial
  }

  feeds(): Record<string, ort.Tensor> {
    return this.current
  }

  update(outputs: ort.InferenceSession.ReturnType): void {
    const next: Record<string, ort.Tensor> = {}
    for (const [present, past] of this.presentToPast) next[past] = outputs[present]
    this.current = next
  }

  tensors(): Record<string, ort.Tensor> {
    return this.current
  }
}

/**
 * One buffer per cache input, big enough for the whole generation. Each step grows it in place: in the
 * [1, heads, length, dim] layout every head block after the first moves up by the positions added, so the blocks
 * are moved last head first (copyWithin is a memmove) and the new positions written behind each — one pass over
 * (heads − 1) / heads of the cache in place of onnxruntime-node's allocation and copy of all of it.
 */
export class AppendedCache implements DecoderCache {
  private readonly buffers = new Map<string, KvArray>()
  private length: number
  private current: Record<string, ort.Tensor> = {}

  constructor(
    private readonly newToPast: ReadonlyMap<string, string>,
    private readonly type: KvType,
    private readonly heads: number,
    private readonly headDim: number,
    capacity: number,
    initial: Record<string, ort.Tensor>
  ) {
    this.length = Object.values(initial)[0]?.dims[2] ?? 0
    const size = heads * this.length * headDim
    for (const past of newToPast.values()) {
      const buffer = allocate(type, heads * capacity * headDim)
      if (size > 0) buffer.set((initial[past].data as KvArray).subarray(0, size))
      this.buffers.set(past, buffer)
    }
    this.refreshViews()
  }

  private refreshViews(): void {
    const current: Record<string, ort.Tensor> = {}
    const size = this.heads * this.length * this.headDim
    for (const [past, buffer] of this.buffers) {
      current[past] = new ort.Tensor(this.type, buffer.subarray(0, size), [
        1,
        this.heads,
        this.length,
        this.headDim
      ])
    }
    this.current = current
  }

  feeds(): Record<string, ort.Tensor> {
    return this.current
  }

  update(outputs: ort.InferenceSession.ReturnType): void {
    const { heads, headDim } = this
    const oldLength = this.length
    let added = 0
    for (const [output, past] of this.newToPast) {
      const fresh = outputs[output]
      added = fresh.dims[2]
      const freshData = fresh.data as KvArray
      const buffer = this.buffers.get(past)!
      const newLength = oldLength + added
      for (let h = heads - 1; h >= 0; h--) {
        if (h > 0)
          buffer.copyWithin(h * newLength * headDim, h * oldLength * headDim, (h + 1) * oldLength * headDim)
        buffer.set(
          freshData.subarray(h * added * headDim, (h + 1) * added * headDim),
          (h * newLength + oldLength) * headDim
        )
      }
    }
    this.length += added
    this.refreshViews()
  }

  tensors(): Record<string, ort.Tensor> {
    return this.current
  }
}

/**
 * One buffer per cache input, [1, heads, capacity, head dim] with capacity = the whole generation, always fed whole:
 * com.microsoft GroupQueryAttention reads the valid length from the attention mask (seqlens_k), not from the past's
 * shape, and steps over each head's unused rows. Holds the starting cache (a kept prefix, in place of an empty one).
 */
abstract class CapacityBuffers implements DecoderCache {
  protected readonly buffers = new Map<string, KvArray>()
  protected readonly pastTensors: Record<string, ort.Tensor> = {}
  protected length: number

  constructor(
    pastNames: Iterable<string>,
    protected readonly type: KvType,
    protected readonly heads: number,
    protected readonly headDim: number,
    protected readonly capacity: number,
    initial: Record<string, ort.Tensor>,
    /** Sequences decoded together (generate-batch.ts); each row of the batch has its own heads × capacity. */
    protected readonly batch = 1
  ) {
    this.length = Object.values(initial)[0]?.dims[2] ?? 0
    for (const past of pastNames) {
      const buffer = allocate(type, batch * heads * capacity * headDim)
      const kept = initial[past]?.data as KvArray | undefined
      for (let row = 0; row < batch * heads && kept && this.length > 0; row++) {
        const from = row * this.length * headDim
        buffer.set(kept.subarray(from, from + this.length * headDim), row * capacity * headDim)
      }
      this.buffers.set(past, buffer)
      this.pastTensors[past] = new ort.Tensor(type, buffer, [batch, heads, capacity, headDim])
    }
  }

  feeds(): Record<string, ort.Tensor> {
    return this.pastTensors
  }

  abstract update(outputs: ort.InferenceSession.ReturnType, positions: number): void

  /** A compact copy, [batch, heads, length, head dim] per input (the buffers keep being written). */
  tensors(): Record<string, ort.Tensor> {
    const { batch, heads, headDim, length, capacity } = this
    const result: Record<string, ort.Tensor> = {}
    for (const [past, buffer] of this.buffers) {
      const compact = allocate(this.type, batch * heads * length * headDim)
      for (let row = 0; row < batch * heads; row++) {
        const from = row * capacity * headDim
        compact.set(buffer.subarray(from, from + length * headDim), row * length * headDim)
      }
      result[past] = new ort.Tensor(this.type, compact, [batch, heads, length, headDim])
    }
    return result
  }
}

/**
 * GroupQueryAttention graphs edited to return the attention's own key and value inputs ([1, positions, heads × dim],
 * decoder-rewrite.ts): each step's rows are written behind the valid length of each head, a few kilobytes per token.
 * The operator still copies the past into its own present internally, but nothing crosses into JavaScript.
 */
export class CapacityCache extends CapacityBuffers {
  constructor(
    private readonly newToPast: ReadonlyMap<string, string>,
    type: KvType,
    heads: number,
    headDim: number,
    capacity: number,
    initial: Record<string, ort.Tensor>,
    batch = 1
  ) {
    super(newToPast.values(), type, heads, headDim, capacity, initial, batch)
  }

  update(outputs: ort.InferenceSession.ReturnType, positions: number): void {
    const { batch, heads, headDim, capacity, length } = this
    for (const [output, past] of this.newToPast) {
      const fresh = outputs[output].data as KvArray
      const buffer = this.buffers.get(past)!
      for (let b = 0; b < batch; b++) {
        for (let p = 0; p < positions; p++) {
          for (let h = 0; h < heads; h++) {
            const from = ((b * positions + p) * heads + h) * headDim
            const to = ((b * heads + h) * capacity + length + p) * headDim
            buffer.set(fresh.subarray(from, from + headDim), to)
          }
        }
      }
    }
    this.length += positions
  }
}

/**
 * Past and present in one buffer (GroupQueryAttention with a packed QKV input, where edit 1 cannot apply): the
 * buffer is also the pre-allocated present output, the operator sees one pointer for both and appends in place (its
 * shared-buffer mode). onnxruntime-node still copies each present output back into a new ArrayBuffer per step.
 */
export class SharedBufferCache extends CapacityBuffers {
  private readonly presentTensors: Record<string, ort.Tensor> = {}

  constructor(
    presentToPast: ReadonlyMap<string, string>,
    type: KvType,
    heads: number,
    headDim: number,
    capacity: number,
    initial: Record<string, ort.Tensor>
  ) {
    super(presentToPast.values(), type, heads, headDim, capacity, initial)
    for (const [present, past] of presentToPast)
      this.presentTensors[present] = new ort.Tensor(type, this.buffers.get(past)!, [
        1,
        heads,
        capacity,
        headDim
      ])
  }

  fetches(): Record<string, ort.Tensor> {
    return this.presentTensors
  }

  update(_outputs: ort.InferenceSession.ReturnType, positions: number): void {
    // The operator already wrote them into the buffers.
    this.length += positions
  }
}
