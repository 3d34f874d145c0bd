#!/usr/bin/env node
// A stand-in Electron distribution for `npm run dist:dir` where no Electron build can be downloaded (see
// docs/packaging.md). electron-builder copies an unpacked Electron folder given as `electronDist`, renames the
// executable to the product's and puts the app into resources/. This folder has what it copies and checks: the
// executable, `version`, `LICENSE`, `LICENSES.chromium.html` and `resources/`. The executable is a shell script
// that says it is a stand-in and exits 1; it also carries an Electron fuse wire (the sentinel @electron/fuses
// looks for, version 1, and Electron's default fuse states), so electron-builder's fuse step runs on it as on a
// real binary and the test can read back which fuses the package flipped.
//
// Usage: node scripts/packaging/standin-electron.js <folder>   (prints the folder; the Electron version comes
// from node_modules/electron/package.json)
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'

/**
 * Electron's fuse defaults, in wire order (electron/electron build/fuses/fuses.json5): RunAsNode on, cookie
 * encryption off, NODE_OPTIONS on, --inspect on, asar integrity off, only-load-from-asar off, browser V8
 * snapshot off, file:// extra privileges on. '1' enabled, '0' disabled.
 */
const DEFAULT_FUSES = '10110001'

const root = resolve(import.meta.dirname, '../..')

export function electronVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version
}

/** Writes the stand-in distribution into `dir` (emptied first) for the current platform's executable name. */
export function makeStandinElectron(dir) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'resources'), { recursive: true })
  const wire = Buffer.concat([
    Buffer.from(FUSE_SENTINEL, 'latin1'),
    Buffer.from([1, DEFAULT_FUSES.length]),
    Buffer.from(DEFAULT_FUSES, 'latin1')
  ])
  const script = Buffer.concat([
    Buffer.from(
      '#!/bin/sh\necho "stand-in Electron (scripts/packaging/standin-electron.js): not a runnable app" >&2\nexit 1\n# fuses: '
    ),
    wire,
    Buffer.from('\n')
  ])
  const executable = process.platform === 'win32' ? 'electron.exe' : 'electron'
  writeFileSync(join(dir, executable), script)
  chmodSync(join(dir, executable), 0o755)
  writeFileSync(join(dir, 'version'), electronVersion())
  writeFileSync(join(dir, 'LICENSE'), 'Stand-in for Electron’s MIT licence.\n')
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<!-- stand-in -->\n')
  return dir
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = process.argv[2]
  if (!dir) {
    console.error('usage: standin-electron.js <folder>')
    process.exit(2)
  }
  console.log(makeStandinElectron(resolve(dir)))
}
