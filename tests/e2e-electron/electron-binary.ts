import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')

/**
 * The Electron binary these tests launch, found the way scripts/run-e2e.js finds it (which passes it on as
 * SMOLVLM_ELECTRON_BINARY), without require('electron') — that would try to download one.
 */
export function electronBinary(): { path: string } | { reason: string } {
  const fromRunner = process.env['SMOLVLM_ELECTRON_BINARY']
  if (fromRunner)
    return existsSync(fromRunner) ? { path: fromRunner } : { reason: `${fromRunner} does not exist` }
  const exe = (dist: string) =>
    process.platform === 'win32'
      ? join(dist, 'electron.exe')
      : process.platform === 'darwin'
        ? join(dist, 'Electron.app/Contents/MacOS/Electron')
        : join(dist, 'electron')
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH']
  if (override)
    return existsSync(exe(override))
      ? { path: exe(override) }
      : { reason: `no binary in ELECTRON_OVERRIDE_DIST_PATH (${override})` }
  const pathTxt = join(root, 'node_modules/electron/path.txt')
  if (!existsSync(pathTxt))
    return {
      reason: 'node_modules/electron/path.txt is missing (Electron >= 42 downloads its binary on first run)'
    }
  const path = join(root, 'node_modules/electron/dist', readFileSync(pathTxt, 'utf8').trim())
  return existsSync(path) ? { path } : { reason: `${path} does not exist` }
}
