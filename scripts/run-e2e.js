#!/usr/bin/env node
// `npm run test:e2e`: Playwright _electron tests of the real app (tests/e2e-electron). They need an Electron
// binary, which Electron >= 42 downloads on first run (no network on CI) — so when there is none, say why
// and exit 0 ("skipped"), instead of failing. Never require('electron') here: that would start the download.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The Electron executable inside a dist folder, per platform (as the electron package lays it out). */
function executableIn(dist) {
  if (process.platform === 'win32') return join(dist, 'electron.exe')
  if (process.platform === 'darwin') return join(dist, 'Electron.app', 'Contents', 'MacOS', 'Electron')
  return join(dist, 'electron')
}

/** { path } of a usable Electron binary, or { reason } why there is none. */
export function findElectron() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) {
    const path = executableIn(override)
    return existsSync(path)
      ? { path }
      : { reason: `ELECTRON_OVERRIDE_DIST_PATH is set but ${path} does not exist` }
  }
  const packageDir = join(root, 'node_modules', 'electron')
  if (!existsSync(packageDir)) return { reason: 'the electron package is not installed (npm install)' }
  const pathTxt = join(packageDir, 'path.txt')
  if (!existsSync(pathTxt)) {
    return {
      reason:
        'node_modules/electron/path.txt is missing: Electron >= 42 downloads its binary on first run (npx install-electron), ' +
        'which needs the network; or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron build'
    }
  }
  const path = join(packageDir, 'dist', readFileSync(pathTxt, 'utf8').trim())
  return existsSync(path)
    ? { path }
    : { reason: `node_modules/electron/path.txt names ${path}, which does not exist` }
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

function main() {
  const electron = findElectron()
  if (!electron.path) {
    console.log(`skipped: no Electron binary (${electron.reason})`)
    return 0
  }
  const needsDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
  if (needsDisplay && !hasCommand('xvfb-run')) {
    console.log(
      'skipped: no display for Electron (no DISPLAY, and xvfb-run is not installed: apt-get install -y xvfb)'
    )
    return 0
  }
  const electronVite = join(
    dirname(createRequire(import.meta.url).resolve('electron-vite/package.json')),
    'bin',
    'electron-vite.js'
  )
  const build = spawnSync(process.execPath, [electronVite, 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) return build.status ?? 1
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
  const command = [process.execPath, vitest, 'run', '--config', 'tests/e2e-electron/vitest.config.ts']
  const [cmd, ...args] = needsDisplay ? ['xvfb-run', '-a', ...command] : command
  const run = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SMOLVLM_ELECTRON_BINARY: electron.path }
  })
  return run.status ?? 1
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main())
