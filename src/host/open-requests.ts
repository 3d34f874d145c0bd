import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { LIMITS } from '../shared/contract.ts'

/**
 * Files the operating system asks the app to open: "Open with SmolVLM Desktop" from the file manager (the file
 * associations in electron-builder.config.js), `smolvlm-desktop photo.jpg` on a command line, and the same again
 * while the app runs (a second instance hands its files to the first and quits). Every path ends up in the file
 * broker like a dropped file (AppHost.openPaths); nothing here reads the files. Electron-free: src/main passes
 * Electron's argv, working directory and additionalData in.
 */

/**
 * What a second launch sends the running app as requestSingleInstanceLock's additionalData. Electron documents
 * that the argv the first instance receives may be reordered and get switches appended, so the second instance
 * sends its own arguments and working directory; argv is the fallback when this is absent or malformed.
 */
export const OpenRequestSchema = z.strictObject({
  kind: z.literal('smolvlm-open'),
  cwd: z.string().min(1).max(LIMITS.pathChars),
  args: z.array(z.string().max(LIMITS.pathChars)).max(LIMITS.pathsPerCall)
})
export type OpenRequest = z.infer<typeof OpenRequestSchema>

/**
 * The arguments after the executable and, when Electron runs an unpackaged app (`electron .`, `electron
 * out/main/index.js`; process.defaultApp is true), after the app path: the first argument that is not a switch
 * (Playwright, for one, puts switches before it).
 */
export function userArguments(argv: readonly string[], defaultApp: boolean): string[] {
  const rest = argv.slice(1)
  if (!defaultApp) return rest
  const appPath = rest.findIndex((arg) => !arg.startsWith('-'))
  return appPath === -1 ? [] : rest.slice(appPath + 1)
}

/**
 * Paths named on a command line: switches ("-x", "--flag=value", Chromium's own) are skipped until a "--", file://
 * URLs (what desktop files pass for %U) become paths, relative paths are resolved against `cwd`, duplicates are
 * dropped, and at most LIMITS.pathsPerCall are kept. Whether a path exists or is an image is the broker's question.
 */
export function pathsFromArguments(args: readonly string[], cwd: string): string[] {
  const paths: string[] = []
  const seen = new Set<string>()
  let switchesEnded = false
  for (const arg of args) {
    if (paths.length >= LIMITS.pathsPerCall) break
    if (!switchesEnded && arg === '--') {
      switchesEnded = true
      continue
    }
    if (!switchesEnded && arg.startsWith('-')) continue
    if (arg === '' || arg.includes('\0') || arg.length > LIMITS.pathChars) continue
    let path: string
    if (/^file:/i.test(arg)) {
      try {
        path = fileURLToPath(arg)
      } catch {
        continue // a file URL for another host, or malformed
      }
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
      continue // http://…, smb://…: not a local file
    } else {
      path = isAbsolute(arg) ? resolve(arg) : resolve(cwd, arg)
    }
    if (!seen.has(path)) {
      seen.add(path)
      paths.push(path)
    }
  }
  return paths
}

/** The request a second instance sends (its additionalData). */
export function openRequestFor(argv: readonly string[], cwd: string, defaultApp: boolean): OpenRequest {
  return {
    kind: 'smolvlm-open',
    cwd,
    args: userArguments(argv, defaultApp).slice(0, LIMITS.pathsPerCall)
  }
}

/**
 * The paths a second instance asked to open: from its own request when it sent a valid one, else from the argv
 * and working directory Electron's 'second-instance' event gives.
 */
export function pathsFromSecondInstance(
  argv: readonly string[],
  workingDirectory: string,
  additionalData: unknown,
  defaultApp: boolean
): string[] {
  const request = OpenRequestSchema.safeParse(additionalData)
  if (request.success && isAbsolute(request.data.cwd))
    return pathsFromArguments(request.data.args, request.data.cwd)
  return pathsFromArguments(userArguments(argv, defaultApp), workingDirectory)
}

/**
 * Holds the paths that arrive before the app can take them (macOS sends 'open-file' before `ready`; the page must
 * have loaded before it can hear about new images), then hands everything over once, in order, and every later
 * arrival at once. Paths arriving together stay together (one batch per call).
 */
export class PendingOpens {
  private held: string[][] = []
  private deliver: ((paths: string[]) => void) | null = null

  add(paths: readonly string[]): void {
    if (paths.length === 0) return
    if (this.deliver) this.deliver([...paths])
    else if (this.held.reduce((n, batch) => n + batch.length, 0) < LIMITS.pathsPerCall)
      this.held.push([...paths])
  }

  /** From now on paths go to `deliver`; the held ones go first. */
  ready(deliver: (paths: string[]) => void): void {
    this.deliver = deliver
    for (const batch of this.held.splice(0)) deliver(batch)
  }
}
