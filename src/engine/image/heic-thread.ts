import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { sep } from 'node:path'
import { Worker } from 'node:worker_threads'
import { decodeHeic, heicPixels, heicResult } from './decode-heic.ts'
import type { DecodedImage } from './decode-image.ts'
import type { HeicPixels } from './decode-heic.ts'

/**
 * HEIC decoding on a worker thread, for callers that must not stall their own thread: the app's main process
 * (thumbnails, the pixel check before a metadata write), whose IPC carries every streamed token. libheif runs as
 * WebAssembly on the thread that calls it, ~0.5-0.8 s for a 12-MP photo (architecture.md). One worker, started on
 * the first HEIC and ended after a minute without one; if it cannot start or dies, the decode runs here instead.
 */
const IDLE_MS = 60_000

/**
 * libheif-js's entry file. In a packaged app it lies in app.asar.unpacked (electron-builder.config.js asarUnpack):
 * a worker thread is given a plain path, which must not depend on Electron's asar support reaching workers.
 */
function libheifPath(): string {
  const path = createRequire(import.meta.url).resolve('libheif-js/wasm-bundle')
  const unpacked = path.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`)
  return unpacked !== path && existsSync(unpacked) ? unpacked : path
}

/** The worker's whole program: heicPixels' own source text and a message loop (`__name`: see resize-pool.ts). */
const workerSource = () => `
const { parentPort, workerData } = require('node:worker_threads')
var __name = (f) => f
const lib = require(workerData.libheif)
const heicPixels = ${heicPixels.toString()}
parentPort.on('message', async (m) => {
  try {
    const pixels = await heicPixels(lib, m.bytes, m.maxPixels)
    parentPort.postMessage({ id: m.id, pixels }, pixels.ok ? [pixels.data.buffer] : [])
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String((error && error.stack) || error) })
  }
})
`

interface Pending {
  readonly resolve: (pixels: HeicPixels) => void
  readonly reject: (error: Error) => void
}

class HeicThread {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private idle: NodeJS.Timeout | undefined
  /** Decodes answered by the worker (for tests and diagnostics). */
  decoded = 0

  pixels(bytes: Uint8Array, maxPixels: number): Promise<HeicPixels> {
    const worker = this.start()
    clearTimeout(this.idle)
    const id = this.nextId++
    return new Promise<HeicPixels>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id, bytes, maxPixels })
    }).finally(() => {
      if (this.pending.size === 0) this.idle = setTimeout(() => this.stop(), IDLE_MS).unref()
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(workerSource(), { eval: true, workerData: { libheif: libheifPath() } })
    worker.unref()
    worker.on('message', (m: { id: number; pixels?: HeicPixels; error?: string }) => {
      const waiting = this.pending.get(m.id)
      this.pending.delete(m.id)
      if (!waiting) return
      if (m.pixels) {
        this.decoded++
        waiting.resolve(m.pixels)
      } else waiting.reject(new Error(m.error ?? 'the HEIC worker gave no answer'))
    })
    const fail = (error: Error) => {
      if (this.worker !== worker) return
      this.worker = undefined
      for (const waiting of this.pending.values()) waiting.reject(error)
      this.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the HEIC worker exited with code ${code}`)))
    this.worker = worker
    return worker
  }

  stop(): void {
    const worker = this.worker
    this.worker = undefined
    void worker?.terminate()
  }
}

const thread = new HeicThread()

/** decodeHeic on the worker thread; the same pixels and the same typed errors. */
export async function decodeHeicOffThread(
  bytes: Uint8Array,
  options: { readonly name: string; readonly maxPixels: number }
): Promise<DecodedImage> {
  let pixels: HeicPixels
  try {
    // A copy crosses to the worker: the caller keeps its bytes.
    pixels = await thread.pixels(bytes.slice(), options.maxPixels)
  } catch {
    return decodeHeic(bytes, options)
  }
  return heicResult(pixels, options.name, options.maxPixels)
}

/** How many decodes the worker thread has answered so far. */
export function heicThreadDecodes(): number {
  return thread.decoded
}
