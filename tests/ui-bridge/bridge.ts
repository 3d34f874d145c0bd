/**
 * The browser test bridge: the built renderer (out/renderer) served over http://127.0.0.1 with the app's CSP,
 * and `window.smolvlm` wired to the SAME host core the Electron main process runs (src/host: broker, settings,
 * supervisor, results), with the worker as a real child process (src/worker/entry-node.ts) running a real model.
 * Only the Electron transport is replaced: IPC → POST /__smolvlm/api/<method>, push events and job streams →
 * Server-Sent Events, drops → byte uploads granted as temp files, the open/save dialogs → configured paths.
 *
 *   const bridge = await startBridge({ modelDir, settingsDir, exportDir })
 *   await page.goto(bridge.url)          // window.smolvlm is there before the page's scripts run
 *   …
 *   await bridge.close()
 */
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'
import { build } from 'esbuild'
import { AppHost, resolveFromStore } from '../../src/host/app-host.ts'
import { contentTypeOf } from '../../src/host/app-protocol.ts'
import type { HostDialogs } from '../../src/host/app-host.ts'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import type { NodeLauncherOptions } from '../../src/host/node-launcher.ts'
import type { ModelStoreLike } from '../../src/host/store-service.ts'
import type { Device, JobEvent, Variant } from '../../src/shared/contract.ts'
import { LIMITS, RENDERER_CSP } from '../../src/shared/contract.ts'

export const REPO_ROOT = resolve(import.meta.dirname, '../..')
export const BUILT_RENDERER = join(REPO_ROOT, 'out/renderer')
const CLIENT_SOURCE = join(import.meta.dirname, 'client/bridge-client.ts')
const PREFIX = '/__smolvlm'

export interface BridgeOptions {
  /** The model folder every job uses (e.g. tests/fixtures/models/tiny-gqa). */
  readonly modelDir: string
  /** Where settings.json lives (a temp folder per test run). */
  readonly settingsDir: string
  /** Where results.export writes (instead of the save dialog): <exportDir>/captions-<time>.<csv|jsonl>. */
  readonly exportDir: string
  /** The built renderer to serve. Default out/renderer (see ensureRendererBuilt). */
  readonly rendererDir?: string
  /** Force a precision / device / thread count whatever the settings say. Default: the settings' variant, cpu, 1 thread. */
  readonly variant?: Variant
  readonly device?: Device
  readonly threads?: number
  /** What images.open() returns (the open dialog's stand-in); default: nothing (a cancelled dialog). */
  readonly openPaths?: readonly string[]
  /** What store.importFolder() gets as the chosen folder; default: null (cancelled). */
  readonly importFolder?: string | null
  /** The caption library's SQLite file; default: none (searches say the library is not set up). */
  readonly libraryFile?: string | null
  /** A model store for the store.* calls; default: none (they answer model-missing). */
  readonly store?: ModelStoreLike | null
  /**
   * Where jobs find their model: 'folder' (default) always loads modelDir; 'store' resolves the settings' model
   * in `store` as the app does (so the first-run screen and the model manager see a missing model as missing),
   * still on `device` (default cpu) with `threads`.
   */
  readonly modelFrom?: 'folder' | 'store'
  /** How long a watched folder's new file must stay unchanged (default: the app's 2 s). */
  readonly watchSettleMs?: number

  /** Add <script src="/__smolvlm/client.js"> to index.html (default true). Off: use page.addInitScript(bridge.clientScript). */
  readonly injectClient?: boolean
  /** The worker entry; default: src/worker/entry-node.ts through tsx. */
  readonly worker?: NodeLauncherOptions
  readonly log?: (line: string) => void
}

export interface Bridge {
  /** http://127.0.0.1:<port>/ — the renderer's index.html. */
  readonly url: string
  /** The host behind it (broker, settings, supervisor), for assertions and setup. */
  readonly host: AppHost
  /** The browser-side SmolvlmApi as a classic script (for page.addInitScript). */
  readonly clientScript: string
  /** Changes what the next images.open() returns. */
  setOpenPaths(paths: readonly string[]): void
  setImportFolder(dir: string | null): void
  close(): Promise<void>
}

let clientCache: string | undefined

/** The browser client, bundled (with the shared API surface) into one classic script. */
export async function bridgeClientScript(): Promise<string> {
  if (clientCache) return clientCache
  const result = await build({
    entryPoints: [CLIENT_SOURCE],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    write: false,
    logLevel: 'silent'
  })
  const output = result.outputFiles[0].text
  clientCache = output
  return clientCache
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit)
      throw Object.assign(new Error(`The request is larger than ${limit} bytes.`), { status: 413 })
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  response.end(body)
}

async function uniquePath(dir: string, name: string): Promise<string> {
  const ext = extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let i = 0; ; i++) {
    const candidate = join(dir, i === 0 ? name : `${stem}-${i}${ext}`)
    if (!existsSync(candidate)) return candidate
  }
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const rendererDir = resolve(options.rendererDir ?? BUILT_RENDERER)
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(
      `No built renderer at ${rendererDir}: run \`npx electron-vite build\` (or call ensureRendererBuilt()).`
    )
  }
  const log = options.log ?? (() => undefined)
  let openPaths = [...(options.openPaths ?? [])]
  let importFolder = options.importFolder ?? null
  const dialogs: HostDialogs = {
    openImages: async () => openPaths,
    saveExport: async (defaultName) => uniquePath(options.exportDir, defaultName),
    chooseModelFolder: async () => importFolder
  }
  const host = await AppHost.create({
    settingsDir: options.settingsDir,
    launcher: nodeWorkerLauncher(options.worker ?? sourceWorkerEntry()),
    dialogs,
    store: options.store ?? null,
    libraryFile: options.libraryFile ?? null,
    watchSettleMs: options.watchSettleMs,
    resolveModel: async (settings, store) =>
      options.modelFrom === 'store'
        ? {
            ...(await resolveFromStore(settings, store)),
            device: options.device ?? 'cpu',
            threads: options.threads ?? 1
          }
        : {
            id: 'bridge-model',
            dir: resolve(options.modelDir),
            variant: options.variant ?? settings.variant,
            device: options.device ?? 'cpu',
            threads: options.threads ?? 1
          },
    log
  })
  const clientScript = await bridgeClientScript()

  // ── Server-Sent Events: every push event and job event, to every connected page ──
  const streams = new Set<ServerResponse>()
  const broadcast = (event: string, payload: unknown): void => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
    for (const stream of streams) stream.write(frame)
  }
  const unsubscribe = [
    host.onModelStatus.add((status) => broadcast('model-status', status)),
    host.store.onProgress.add((event) => broadcast('store-progress', event)),
    host.settings.onChange.add((settings) => broadcast('settings', settings)),
    host.onImagesAdded.add((images) => broadcast('images-added', images)),
    host.watch.onImages.add((images) => broadcast('watch-images', images)),
    host.watch.onStatus.add((status) => broadcast('watch-status', status))
  ]
  const context = {
    openJob: (jobId: string) => ({ emit: (event: JobEvent) => broadcast('job-event', { jobId, event }) })
  }

  let origin = ''
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // Only this page may call: a page from elsewhere (or a rebinding DNS name) gets nothing.
    if (request.headers.host !== new URL(origin).host) {
      response.writeHead(421).end()
      return
    }
    const url = new URL(request.url ?? '/', origin)
    if (request.method === 'POST') {
      const from = request.headers.origin
      if (from !== undefined && from !== origin) {
        sendJson(response, 403, {
          ok: false,
          error: { code: 'invalid-message', message: 'Cross-origin request refused.' }
        })
        return
      }
      if (url.pathname.startsWith(`${PREFIX}/api/`)) {
        const method = decodeURIComponent(url.pathname.slice(`${PREFIX}/api/`.length))
        let payload: unknown
        try {
          payload = JSON.parse((await readBody(request, 16 * 1024 * 1024)).toString('utf8'))
        } catch (error) {
          sendJson(response, 400, {
            ok: false,
            error: { code: 'invalid-message', message: `Not JSON: ${String(error)}` }
          })
          return
        }
        // Bytes cannot travel in JSON: pastes and drops use /upload.
        const answer =
          method === 'images.fromBytes' || method === 'images.addPaths'
            ? {
                ok: false,
                error: {
                  code: 'invalid-message',
                  message: `${method} is not available in the browser bridge.`
                }
              }
            : await host.handle(method, payload, context)
        sendJson(response, 200, answer)
        return
      }
      if (url.pathname === `${PREFIX}/upload`) {
        const name = url.searchParams.get('name') ?? 'image'
        const bytes = await readBody(request, LIMITS.imageBytes + 1)
        sendJson(
          response,
          200,
          await host.handle('images.fromBytes', { name, bytes: new Uint8Array(bytes) }, context)
        )
        return
      }
      response.writeHead(404).end()
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end()
      return
    }
    if (url.pathname === `${PREFIX}/events`) {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive'
      })
      response.write(': connected\n\n')
      streams.add(response)
      request.on('close', () => streams.delete(response))
      return
    }
    if (url.pathname === `${PREFIX}/client.js`) {
      response.writeHead(200, { 'content-type': contentTypeOf('client.js'), 'cache-control': 'no-store' })
      response.end(clientScript)
      return
    }
    // Static files of the built renderer, never outside its folder.
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)
    const file = resolve(rendererDir, `.${relative}`)
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      response.writeHead(403).end()
      return
    }
    let body: Buffer
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file')
      body = await readFile(file)
    } catch {
      // Browsers ask for a favicon on their own; the app has none, which is not an error.
      response.writeHead(relative === '/favicon.ico' ? 204 : 404).end()
      return
    }
    const type = contentTypeOf(file)
    if (file.endsWith('index.html') && options.injectClient !== false) {
      // A classic script in <head> runs before the page's module scripts (which are deferred).
      body = Buffer.from(
        body.toString('utf8').replace('<head>', `<head>\n    <script src="${PREFIX}/client.js"></script>`)
      )
    }
    response.writeHead(200, {
      'content-type': type,
      'content-security-policy': RENDERER_CSP,
      'cache-control': 'no-store'
    })
    response.end(request.method === 'HEAD' ? undefined : body)
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`bridge: ${String(error)}`)
      const status = (error as { status?: number }).status ?? 500
      if (!response.headersSent)
        sendJson(response, status, { ok: false, error: { code: 'internal', message: String(error) } })
      else response.end()
    })
  })
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen))
  const { port } = server.address() as AddressInfo
  origin = `http://127.0.0.1:${port}`
  host.start()

  return {
    url: `${origin}/`,
    host,
    clientScript,
    setOpenPaths(paths) {
      openPaths = [...paths]
    },
    setImportFolder(dir) {
      importFolder = dir
    },
    async close() {
      for (const off of unsubscribe) off()
      for (const stream of streams) stream.end()
      streams.clear()
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose())
        server.closeAllConnections()
      })
      await host.close()
    }
  }
}
