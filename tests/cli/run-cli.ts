import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** tsx's loader by URL, so the CLI starts from any working folder (a bare `tsx` resolves from the cwd). */
const TSX = import.meta.resolve('tsx')
export const TINY_MODEL = fileURLToPath(new URL('../fixtures/models/tiny-gqa', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  readonly uid?: number
  /** Kills the CLI (SIGKILL) after this long: a hang fails the test instead of stalling the suite. */
  readonly timeoutMs?: number
}

/** Starts the real CLI from source (`node --import tsx src/cli/index.ts …`), as `npm run smolvlm --` does. */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, `${ROOT}src/cli/index.ts`, ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? { ...process.env, SMOLVLM_MODEL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {})
  })
}

/** Collects a started CLI's output and exit. */
export function finished(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return finished(startCli(args, options), options.timeoutMs)
}

/** stdout as JSON lines; throws on a line that does not parse. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}
