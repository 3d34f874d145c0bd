import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { lanczosPasses, planResize, resizeLanczos } from './lanczos-resize.ts'
import type { AxisCoefficients } from './lanczos-resize.ts'
import type { Rgb8Image } from './raster.ts'

/**
 * Pillow-exact Lanczos resizing spread over worker threads: both passes are independent per row, so each thread takes
 * a band of rows of shared memory and the result is byte-identical to resizeLanczos. Images below MIN_PIXELS, a
 * machine with one core, or any failure of the workers fall back to the single-threaded function.
 */
const MIN_PIXELS = 512 * 512
const CHANNELS = 3

interface PassMessage {
  readonly id: number
  readonly pass: 'horizontal' | 'vertical'
  readonly src: Uint8Array
  readonly out: Uint8Array
  readonly srcWidth: number
  readonly outWidth: number
  readonly start: number
  readonly end: number
  readonly offset: number
  readonly coefficients: AxisCoefficients
}

/**
 * The worker's whole program: the pass functions' own source text plus a message loop. `__name` is defined because
 * TypeScript runners that keep function names (tsx) wrap inner functions in calls to it.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
var __name = (f) => f
const passes = (${lanczosPasses.toString()})()
parentPort.on('message', (m) => {
  try {
    if (m.pass === 'horizontal') passes.horizontalRows(m.src, m.srcWidth, m.start, m.end, m.outWidth, m.coefficients, m.out, m.offset)
    else passes.verticalRows(m.src, m.outWidth, m.start, m.end, m.coefficients, m.offset, m.out)
    parentPort.postMessage({ id: m.id })
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.stack || error) })
  }
})
`

const passes = lanczosPasses()

/**
 * Shared scratch buffers, reused from one resize to the next. A worker thread keeps every SharedArrayBuffer it was
 * ever sent alive until its own garbage collector runs, which in an idle worker is rarely: fresh buffers per resize
 * grew the process by the size of each image (measured ~15 MB per caption). Results are copied out to the caller.
 */
class ScratchBuffers {
  private readonly buffers = new Map<string, SharedArrayBuffer>()

  take(role: 'source' | 'band' | 'output', length: number): Uint8Array {
    let buffer = this.buffers.get(role)
    if (!buffer || buffer.byteLength < length) {
      // Grow by half again, so a run of slightly larger images does not reallocate every time.
      buffer = new SharedArrayBuffer(Math.max(length, Math.ceil((buffer?.byteLength ?? 0) * 1.5)))
      this.buffers.set(role, buffer)
    }
    return new Uint8Array(buffer, 0, length)
  }
}

/** Splits [start, end) into `parts` contiguous ranges of near-equal size. */
function splitRange(start: number, end: number, parts: number): [number, number][] {
  const ranges: [number, number][] = []
  for (let i = 0; i < parts; i++) {
    const a = start + Math.floor(((end - start) * i) / parts)
    const b = start + Math.floor(((end - start) * (i + 1)) / parts)
    if (b > a) ranges.push([a, b])
  }
  return ranges
}

export class ResizePool {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  private nextId = 0
  private broken = false
  private readonly scratch = new ScratchBuffers()
  /** Resizes run one at a time: they share the scratch buffers. */
  private queue: Promise<unknown> = Promise.resolve()
  /** Resizes done across threads (the rest fell back to one thread): for tests and diagnostics. */
  parallelResizes = 0

  /** `threads` counts the calling thread: 2 threads = one worker plus the caller. */
  constructor(private readonly threads = Math.min(availableParallelism(), 8)) {}

  private ensureWorkers(): Worker[] {
    while (this.workers.length < this.threads - 1) {
      const worker = new Worker(WORKER_SOURCE, { eval: true })
      // Idle workers must not keep a command-line process alive.
      worker.unref()
      worker.on('message', (m: { id: number; error?: string }) => {
        const job = this.pending.get(m.id)
        this.pending.delete(m.id)
        if (m.error) job?.reject(new Error(m.error))
        else job?.resolve()
      })
      worker.on('error', (error) => this.fail(error))
      worker.on('exit', () => this.fail(new Error('a resize worker exited')))
      this.workers.push(worker)
    }
    return this.workers
  }

  private fail(error: Error): void {
    this.broken = true
    for (const job of this.pending.values()) job.reject(error)
    this.pending.clear()
  }

  private send(worker: Worker, message: Omit<PassMessage, 'id'>): Promise<void> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ ...message, id })
    })
  }

  /** Runs one pass over [start, end): the caller takes the last band while the workers take the others. */
  private async runPass(
    message: Omit<PassMessage, 'id' | 'start' | 'end'>,
    start: number,
    end: number
  ): Promise<void> {
    const workers = this.ensureWorkers()
    const ranges = splitRange(start, end, workers.length + 1)
    const own = ranges.pop()!
    const others = ranges.map(([a, b], i) => this.send(workers[i], { ...message, start: a, end: b }))
    if (message.pass === 'horizontal') {
      passes.horizontalRows(
        message.src,
        message.srcWidth,
        own[0],
        own[1],
        message.outWidth,
        message.coefficients,
        message.out,
        message.offset
      )
    } else {
      passes.verticalRows(
        message.src,
        message.outWidth,
        own[0],
        own[1],
        message.coefficients,
        message.offset,
        message.out
      )
    }
    await Promise.all(others)
  }

  /** Same bytes as resizeLanczos(image, width, height). */
  resize(image: Rgb8Image, width: number, height: number): Promise<Rgb8Image> {
    const result = this.queue.then(() => this.resizeNow(image, width, height))
    this.queue = result.catch(() => undefined)
    return result
  }

  private async resizeNow(image: Rgb8Image, width: number, height: number): Promise<Rgb8Image> {
    if (this.broken || this.threads < 2 || width * height < MIN_PIXELS) {
      return resizeLanczos(image, width, height)
    }
    const plan = planResize(image, width, height)
    if (!plan) return { width, height, data: image.data.slice() }
    try {
      let data = this.scratch.take('source', image.data.length)
      data.set(image.data)
      let rowOffset = 0
      if (plan.horizontal) {
        const band = this.scratch.take('band', (plan.lastRow - plan.firstRow) * width * CHANNELS)
        await this.runPass(
          {
            pass: 'horizontal',
            src: data,
            out: band,
            srcWidth: image.width,
            outWidth: width,
            offset: plan.firstRow,
            coefficients: plan.horizontal
          },
          plan.firstRow,
          plan.lastRow
        )
        data = band
        rowOffset = plan.firstRow
      }
      if (plan.vertical) {
        const out = this.scratch.take('output', width * height * CHANNELS)
        await this.runPass(
          {
            pass: 'vertical',
            src: data,
            out,
            srcWidth: width,
            outWidth: width,
            offset: rowOffset,
            coefficients: plan.vertical
          },
          0,
          height
        )
        data = out
      }
      this.parallelResizes++
      // A copy the caller owns: the scratch buffers are reused by the next resize.
      return { width, height, data: data.slice() }
    } catch {
      this.broken = true
      return resizeLanczos(image, width, height)
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
    this.workers.length = 0
  }
}
