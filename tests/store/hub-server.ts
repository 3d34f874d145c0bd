/**
 * A stand-in for the Hugging Face hub on 127.0.0.1: `/<owner>/<name>/resolve/<revision>/<path>` with the hub's
 * headers (X-Repo-Commit; LFS files answer 302 to a second path with X-Linked-Etag / X-Linked-Size; small files
 * answer 200 with their git blob id as ETag), Range requests, HEAD, and injectable faults.
 *
 * Standalone (for a manual `smolvlm models pull` against it):
 *   node --import tsx tests/store/hub-server.ts [--port 8765] [--cut onnx/decoder_model_merged_q4.onnx@600000]
 *        [--rate 2000000]
 * serves the fake repository test/tiny-smolvlm and prints its URL.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { tinyRepoFiles } from './fake-repo.ts'

export type Fault =
  /** Send the headers and the first `afterBytes` bytes of the body, then drop the connection. */
  | { kind: 'cut'; path: string; afterBytes: number; times?: number }
  /** Answer this status instead (GET by default; 'HEAD' to fail the probe). */
  | { kind: 'status'; path: string; status: number; times?: number; method?: 'GET' | 'HEAD' }
  /** Serve the right headers with one byte changed. */
  | { kind: 'corrupt'; path: string; times?: number }
  /** Send the first `afterBytes` bytes, then nothing more while keeping the connection open. */
  | { kind: 'stall'; path: string; afterBytes: number; times?: number }

export interface RequestLog {
  readonly method: string
  readonly url: string
  /** The repository path for resolve and CDN requests. */
  readonly path: string | undefined
  readonly revision: string | undefined
  readonly range: string | undefined
}

interface Commit {
  readonly sha: string
  readonly files: Map<string, Buffer>
}

interface Repo {
  readonly commits: Map<string, Commit>
  readonly refs: Map<string, string>
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

export function gitBlobSha1(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex')
}

/** Files stored in LFS on the real hub: the ONNX graphs and their external data. */
function isLfs(path: string): boolean {
  return /\.onnx(_data(_\d+)?)?$/.test(path)
}

export interface FakeHubOptions {
  /** Send X-Linked-Etag / ETag hashes (false: a mirror that states only sizes). */
  readonly sendHashes?: boolean
  /** false: serve the newest commit whatever revision the URL names (a mirror that cannot serve old commits). */
  readonly honorRevision?: boolean
  /** Bytes per second for bodies (standalone demos); unlimited when absent. */
  readonly rate?: number
  /** false: answer HEAD with 405 (a server that only does GET). */
  readonly head?: boolean
  /** false: ignore Range and always send the whole file with 200. */
  readonly honorRange?: boolean
}

export class FakeHub {
  readonly requests: RequestLog[] = []
  /** TCP connections accepted so far. */
  connections = 0
  /** Runs before each request is answered (a test can move a branch between requests). */
  onRequest: ((log: RequestLog, count: number) => void) | undefined
  private readonly repos = new Map<string, Repo>()
  private readonly faults: (Fault & { left: number })[] = []
  private readonly sockets = new Set<Socket>()
  private readonly server: http.Server
  private port = 0

  constructor(private readonly options: FakeHubOptions = {}) {
    this.server = http.createServer((req, res) => this.handle(req, res))
    this.server.on('connection', (socket: Socket) => {
      this.connections++
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Adds a commit to a repository and points `ref` (default main) at it; returns the commit sha. */
  addCommit(repo: string, files: Record<string, Buffer>, ref = 'main'): string {
    const entry = this.repos.get(repo) ?? { commits: new Map(), refs: new Map() }
    this.repos.set(repo, entry)
    const sha = createHash('sha1')
      .update(repo + entry.commits.size + Object.keys(files).join())
      .digest('hex')
    entry.commits.set(sha, { sha, files: new Map(Object.entries(files)) })
    entry.refs.set(ref, sha)
    return sha
  }

  setRef(repo: string, ref: string, sha: string): void {
    this.repos.get(repo)!.refs.set(ref, sha)
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 })
  }

  /** GET requests that carried a file's bytes (the CDN hop for LFS files), in order. */
  gets(path: string): RequestLog[] {
    return this.requests.filter(
      (r) => r.method === 'GET' && r.path === path && (!isLfs(path) || r.url.startsWith('/cdn/'))
    )
  }

  private takeFault<K extends Fault['kind']>(
    kind: K,
    path: string,
    method: string
  ): Extract<Fault, { kind: K }> | undefined {
    const fault = this.faults.find(
      (f) =>
        f.kind === kind &&
        f.path === path &&
        f.left > 0 &&
        (f.kind !== 'status' || (f.method ?? 'GET') === method)
    )
    if (!fault) return undefined
    fault.left--
    return fault as unknown as Extract<Fault, { kind: K }>
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const method = req.method ?? 'GET'
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname)
    const cdn = /^\/cdn\/([^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname)
    const path = resolve ? decodeURIComponent(resolve[3]!) : cdn ? decodeURIComponent(cdn[3]!) : undefined
    const revision = resolve ? decodeURIComponent(resolve[2]!) : cdn ? cdn[2] : undefined
    const log: RequestLog = { method, url: url.pathname, path, revision, range: req.headers.range }
    this.requests.push(log)
    this.onRequest?.(log, this.requests.length)

    if (method === 'HEAD' && this.options.head === false) return void res.writeHead(405).end()
    if (resolve) return this.resolve(req, res, decodeURIComponent(resolve[1]!), revision!, path!)
    if (cdn) return this.cdn(req, res, decodeURIComponent(cdn[1]!), cdn[2]!, path!)
    res.writeHead(404).end()
  }

  private commitFor(repo: Repo, revision: string): Commit | undefined {
    if (this.options.honorRevision === false) return repo.commits.get(repo.refs.get('main')!)
    const sha = repo.refs.get(revision) ?? revision
    return repo.commits.get(sha)
  }

  private resolve(
    req: IncomingMessage,
    res: ServerResponse,
    repoId: string,
    revision: string,
    path: string
  ): void {
    const method = req.method ?? 'GET'
    const repo = this.repos.get(repoId)
    if (!repo) return void res.writeHead(401, { 'x-error-code': 'RepoNotFound' }).end()
    const commit = this.commitFor(repo, revision)
    if (!commit) return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end()
    const status = this.takeFault('status', path, method)
    if (status) return void res.writeHead(status.status, { 'x-repo-commit': commit.sha }).end()
    const data = commit.files.get(path)
    if (!data)
      return void res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit.sha }).end()
    const hashes = this.options.sendHashes !== false
    if (isLfs(path)) {
      const location = `/cdn/${encodeURIComponent(repoId)}/${commit.sha}/${path}`
      res.writeHead(302, {
        location,
        'x-repo-commit': commit.sha,
        'x-linked-size': String(data.length),
        ...(hashes ? { 'x-linked-etag': `"${sha256(data)}"`, etag: `"${sha256(data)}"` } : {}),
        'content-length': '0'
      })
      return void res.end()
    }
    this.body(req, res, path, data, {
      'x-repo-commit': commit.sha,
      ...(hashes ? { etag: `"${gitBlobSha1(data)}"` } : {})
    })
  }

  private cdn(req: IncomingMessage, res: ServerResponse, repoId: string, sha: string, path: string): void {
    const data = this.repos.get(repoId)?.commits.get(sha)?.files.get(path)
    if (!data) return void res.writeHead(404).end()
    const status = this.takeFault('status', path, req.method ?? 'GET')
    if (status) return void res.writeHead(status.status).end()
    // A CDN's own ETag is no content hash the client could check.
    this.body(req, res, path, data, { etag: '"cdn-0123"' })
  }

  /** Serves data with Range support, applying any cut or corruption fault for the path. */
  private body(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    data: Buffer,
    headers: Record<string, string>
  ): void {
    const total = data.length
    let start = 0
    let status = 200
    const range =
      this.options.honorRange === false ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    const extra: Record<string, string> = { 'accept-ranges': 'bytes', ...headers }
    if (range) {
      start = Number(range[1])
      if (start >= total) {
        return void res.writeHead(416, { ...extra, 'content-range': `bytes */${total}` }).end()
      }
      const end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1
      data = data.subarray(0, end + 1)
      status = 206
      extra['content-range'] = `bytes ${start}-${end}/${total}`
    }
    let body = data.subarray(start)
    res.writeHead(status, { ...extra, 'content-length': String(body.length) })
    if (req.method === 'HEAD') return void res.end()
    if (this.takeFault('corrupt', path, 'GET') && body.length > 0) {
      body = Buffer.from(body)
      body[body.length >> 1] ^= 0xff
    }
    const stall = this.takeFault('stall', path, 'GET')
    if (stall) return void res.write(body.subarray(0, Math.max(0, stall.afterBytes - start)))
    const cut = this.takeFault('cut', path, 'GET')
    if (cut) {
      const sent = Math.max(0, cut.afterBytes - start)
      // end(), not destroy(): the bytes already written reach the client before the FIN, so the cut is exact.
      res.write(body.subarray(0, sent))
      res.socket?.end()
      return
    }
    if (!this.options.rate) return void res.end(body)
    void this.trickle(res, body, this.options.rate)
  }

  private async trickle(res: ServerResponse, body: Buffer, rate: number): Promise<void> {
    const slice = Math.max(1024, Math.floor(rate / 10))
    for (let offset = 0; offset < body.length && !res.destroyed; offset += slice) {
      res.write(body.subarray(offset, offset + slice))
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    res.end()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8765' },
      cut: { type: 'string', multiple: true },
      rate: { type: 'string' }
    }
  })
  const hub = new FakeHub({ rate: values.rate ? Number(values.rate) : undefined })
  const sha = hub.addCommit('test/tiny-smolvlm', tinyRepoFiles({ onnxScale: 4 }))
  for (const spec of values.cut ?? []) {
    const [path, bytes] = spec.split('@') as [string, string]
    hub.inject({ kind: 'cut', path, afterBytes: Number(bytes) })
  }
  hub.onRequest = (log) => {
    process.stderr.write(`hub: ${log.method} ${log.url}${log.range ? ` (${log.range})` : ''}\n`)
  }
  await hub.start(Number(values.port))
  process.stdout.write(`fake hub at ${hub.url}, repo test/tiny-smolvlm @ ${sha}\n`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exitCode = 1
  })
}
