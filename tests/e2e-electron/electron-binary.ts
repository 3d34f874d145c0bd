import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { findElectron } from '../../scripts/lib/electron-binary.js'

const root = resolve(import.meta.dirname, '../..')

/**
 * The Electron binary these tests launch: the one scripts/run-e2e.js found (it passes it on as
 * SMOLVLM_ELECTRON_BINARY), else found the same way (scripts/lib/electron-binary.js), without require('electron') —
 * that would try to download one.
 */
export function electronBinary(): { path: string } | { reason: string } {
  const fromRunner = process.env['SMOLVLM_ELECTRON_BINARY']
  if (fromRunner)
    return existsSync(fromRunner) ? { path: fromRunner } : { reason: `${fromRunner} does not exist` }
  const found = findElectron({ root })
  return 'path' in found ? { path: found.path } : { reason: found.reason }
}
