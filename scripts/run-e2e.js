#!/usr/bin/env node
// `npm run test:e2e`: Playwright _electron tests of the real app (tests/e2e-electron). They need an Electron
// binary, which Electron >= 42 downloads on first run (no network on CI) — so when there is none, say why
// and exit 0 ("skipped"), instead of failing. Never require('electron') here: that would start the download.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findElectron } from './lib/electron-binary.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

function main() {
  const electron = findElectron({ root })
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
