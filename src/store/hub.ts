import http from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import https from 'node:https'
import { SmolvlmError } from '../engine/errors.ts'

/**
 * The hub's HTTP interface as the store uses it: `<hub>/<repo>/resolve/<revision>/<path>`, redirects followed,
 * and the verification headers huggingface_hub reads (docs/smolvlm-onnx.md §5): X-Repo-Commit (commit sha),
 * X-Linked-Etag / X-Linked-Size (sha256 and size of an LFS file, on the redirect), else ETag (git blob sha1 of a
 * small file) and Content-Length. node:http rather than fetch: every socket is ours to count and to close.
 */

/** What the hub says about one file at one revision. */
export interface RemoteFile {
  readonly size?: number
  readonly sha256?: string
  readonly gitSha1?: string
  readonly commit?: string
}

/** A failure worth retrying: a lost or stalled connection, 408/429/5xx. */
export class TransientError extends Error {
  override readonly name = 'TransientError'
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** A 404: the repository, revision or file does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
  constructor(
    message: string,
    readonly errorCode: string | undefined
  ) {
    super(message)
  }
}

class HeadRefusedError extends Error {}

const MAX_REDIRECTS = 10
const USER_AGENT = 'smolvlm-desktop (model store)'

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** An ETag or X-Linked-Etag value without W/ and quotes. */
export function normalizeEtag(value: string | undefined): string | undefined {
  if (!value) return undefined
  return value
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase()
}

function sizeHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const value = header(headers, 'retry-after')
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}

/** Does this response carry the hub's statement about the file (as opposed to a CDN's)? */
function carriesHubHeaders(headers: IncomingHttpHeaders): boolean {
  return (
    headers['x-repo-commit'] !== undefined ||
    headers['x-linked-etag'] !== undefined ||
    headers['x-linked-size'] !== undefined
  )
}

/** Reads the hub's statement from one response; `final` says it is the content itself (not a redirect to it). */
function describe(headers: IncomingHttpHeaders, final: boolean): RemoteFile {
  const linkedEtag = normalizeEtag(header(headers, 'x-linked-etag'))
  const etag = normalizeEtag(header(headers, 'etag'))
  const commit = header(headers, 'x-repo-commit')?.trim().toLowerCase()
  let size = sizeHeader(header(headers, 'x-linked-size'))
  if (size === undefined && final) {
    const range = /\/(\d+)\s*$/.exec(header(headers, 'content-range') ?? '')
    size = range ? Number(range[1]) : sizeHeader(header(headers, 'content-length'))
  }
  let sha256: string | undefined
  let gitSha1: string | undefined
  if (linkedEtag && /^[0-9a-f]{64}$/.test(linkedEtag)) sha256 = linkedEtag
  else if (etag && /^[0-9a-f]{64}$/.test(etag)) sha256 = etag
  // A 40-hex ETag on the content itself is the git blob id; on a redirect it could be anything.
  else if (etag && final && /^[0-9a-f]{40}$/.test(etag)) gitSha1 = etag
  return { size, sha256, gitSha1, commit: commit || undefined }
}

function networkError(error: unknown, url: URL): Error {
  if (error instanceof SmolvlmError || error instanceof TransientError) return error
  const code = (error as NodeJS.ErrnoException).code
  if ((error as Error).name === 'AbortError') return error as Error
  return new TransientError(`${url.host}: ${code ?? (error as Error).message}`, undefined, { cause: error })
}

export interface HubOptions {
  readonly idleTimeoutMs: number
}

export class HubClient {
  /** The hub's base URL without a trailing slash (it may carry a path: mirrors often live below one). */
  readonly base: string

  constructor(
    hubUrl: string,
    private readonly options: HubOptions
  ) {
    let url: URL
    try {
      url = new URL(hubUrl)
    } catch {
      throw new SmolvlmError(
        'download-failed',
        `The hub address "${hubUrl}" is not a URL (check SMOLVLM_HUB_URL).`
      )
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new SmolvlmError(
        'download-failed',
        `The hub address "${hubUrl}" must start with https:// or http://.`
      )
    }
    this.base = url.href.replace(/\/+$/, '')
  }

  fileUrl(repo: string, revision: string, repoPath: string): URL {
    const encodedPath = repoPath.split('/').map(encodeURIComponent).join('/')
    return new URL(`${this.base}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`)
  }

  /** One request, no redirects followed. The response body must be consumed or destroyed by the caller. */
  private send(
    url: URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal | undefined
  ): Promise<IncomingMessage> {
    const client = url.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const request = client.request(
        url,
        {
          method,
          headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...headers },
          signal
        },
        resolve
      )
      // Inactivity on the socket, before or during the body: a dropped connection the OS has not noticed.
      request.setTimeout(this.options.idleTimeoutMs, () => {
        request.destroy(new TransientError(`${url.host}: no data for ${this.options.idleTimeoutMs} ms`))
      })
      request.on('error', (error) => reject(networkError(error, url)))
      request.end()
    })
  }

  /**
   * Follows redirects (relative or to a CDN) and returns the final response with the hub's statement about
   * the file, taken from the last response that carried hub headers (the LFS redirect, or the file itself).
   */
  private async follow(
    url: URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    what: string,
    stopAtLinkedSize: boolean
  ): Promise<{ response: IncomingMessage | undefined; remote: RemoteFile }> {
    let current = url
    let remote: RemoteFile | undefined
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const response = await this.send(current, method, headers, signal)
      const status = response.statusCode ?? 0
      const location = header(response.headers, 'location')
      if (isRedirect(status) && location) {
        if (carriesHubHeaders(response.headers)) remote = describe(response.headers, false)
        response.resume()
        // A HEAD need not visit the CDN once the hub stated the size (presigned CDN URLs may refuse HEAD).
        if (stopAtLinkedSize && remote?.size !== undefined) return { response: undefined, remote }
        current = new URL(location, current)
        continue
      }
      const ok = (status >= 200 && status < 300) || status === 416
      // The hub already described the file; a CDN that refuses HEAD on a URL signed for GET changes nothing.
      if (!ok && method === 'HEAD' && remote && hop > 0) {
        response.resume()
        return { response: undefined, remote }
      }
      if (method === 'HEAD' && (status === 405 || status === 501)) {
        response.resume()
        throw new HeadRefusedError()
      }
      checkStatus(response, what)
      const fromFinal = describe(response.headers, true)
      const merged: RemoteFile = remote
        ? { ...remote, size: remote.size ?? fromFinal.size, commit: remote.commit ?? fromFinal.commit }
        : fromFinal
      return { response, remote: merged }
    }
    throw new SmolvlmError('download-failed', `${what}: too many redirects from ${url.host}.`)
  }

  /** The hub's statement about a file (HEAD), or undefined when it does not exist (404). */
  async probe(
    repo: string,
    revision: string,
    repoPath: string,
    signal?: AbortSignal
  ): Promise<RemoteFile | undefined> {
    const url = this.fileUrl(repo, revision, repoPath)
    const what = `${repoPath} of ${repo}`
    try {
      const { response, remote } = await this.follow(url, 'HEAD', {}, signal, what, true)
      response?.resume()
      return remote
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      if (!(error instanceof HeadRefusedError)) throw error
    }
    // A server without HEAD: ask for the first byte instead and read the size from Content-Range.
    try {
      const { response, remote } = await this.follow(url, 'GET', { range: 'bytes=0-0' }, signal, what, false)
      response?.destroy()
      return remote
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
  }

  /**
   * Opens a download from `offset` (Range). `start` is where the returned body begins: offset when the server
   * honoured the range, 0 when it sent the whole file. A 416 (the range starts at or past the end) returns no body.
   */
  async open(
    repo: string,
    revision: string,
    repoPath: string,
    offset: number,
    signal?: AbortSignal
  ): Promise<{ body: IncomingMessage | undefined; start: number; remote: RemoteFile; length?: number }> {
    const url = this.fileUrl(repo, revision, repoPath)
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {}
    const { response, remote } = await this.follow(
      url,
      'GET',
      headers,
      signal,
      `${repoPath} of ${repo}`,
      false
    )
    if (!response) throw new SmolvlmError('download-failed', `${repoPath}: no response from ${url.host}.`)
    if (response.statusCode === 416) {
      response.resume()
      return { body: undefined, start: offset, remote }
    }
    const length = sizeHeader(header(response.headers, 'content-length'))
    if (response.statusCode === 206) {
      const range = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)/.exec(header(response.headers, 'content-range') ?? '')
      if (range && Number(range[1]) === offset) return { body: response, start: offset, remote, length }
      response.destroy()
      throw new TransientError(`${repoPath}: the server answered another range than bytes=${offset}-`)
    }
    return { body: response, start: 0, remote, length }
  }
}

function checkStatus(response: IncomingMessage, what: string): void {
  const status = response.statusCode ?? 0
  if ((status >= 200 && status < 300) || status === 416) return
  response.resume()
  const errorCode = header(response.headers, 'x-error-code')
  if (status === 404)
    throw new NotFoundError(`${what}: not found (HTTP 404${errorCode ? `, ${errorCode}` : ''})`, errorCode)
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    throw new TransientError(`${what}: HTTP ${status}`, retryAfterMs(response.headers))
  }
  if (status === 401 || status === 403) {
    throw new SmolvlmError(
      'download-failed',
      `The hub refused ${what} (HTTP ${status}${errorCode ? `, ${errorCode}` : ''}): the repository may not exist, ` +
        'or be private or gated.'
    )
  }
  throw new SmolvlmError('download-failed', `The hub answered HTTP ${status} for ${what}.`)
}
