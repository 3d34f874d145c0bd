#!/usr/bin/env node
// `npm start`: make sure the Electron binary is there (Electron >= 42 downloads it on first use, which
// electron-vite does not do: it stops with "Electron uninstall"), then build and open the app with
// `electron-vite preview`. `npm run dev` is the same with `electron-vite dev` (first argument `dev`). Arguments
// after `npm start --` go to electron-vite. No dependencies: plain Node.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronVersion, findElectron, installElectron } from './lib/electron-binary.js'

/** What to do when there is no binary and none can be downloaded: one sentence, no stack trace. */
export function cannotInstallMessage(version, reason) {
  return (
    `npm start: the Electron ${version} binary could not be downloaded (${reason}); ` +
    'connect this machine to the internet and run npm start again, or set ELECTRON_MIRROR to a reachable Electron ' +
    'mirror, or set ELECTRON_OVERRIDE_DIST_PATH to a folder holding an unpacked Electron build.'
  )
}

function consoleLog() {
  const tty = Boolean(process.stderr.isTTY)
  let progressShown = false
  let tensShown = 0
  return {
    info: (line) => {
      if (progressShown && tty) process.stderr.write('\n')
      progressShown = false
      process.stderr.write(`${line}\n`)
    },
    error: (line) => {
      if (progressShown && tty) process.stderr.write('\n')
      progressShown = false
      process.stderr.write(`${line}\n`)
    },
    // On a terminal one line rewritten in place; in a log one line per 10 MB.
    progress: (mb) => {
      if (tty) {
        process.stderr.write(`\rnpm start: downloading Electron… ${mb} MB`)
        progressShown = true
      } else if (Math.floor(mb / 10) > tensShown) {
        tensShown = Math.floor(mb / 10)
        process.stderr.write(`npm start: downloading Electron… ${mb} MB\n`)
      }
    }
  }
}

/**
 * Finds (or installs) the Electron binary of the project at `root`, then runs `electron-vite <command>` (preview
 * or dev) there with ELECTRON_EXEC_PATH pointing at it. Resolves the exit code.
 */
export async function start({ root, command = 'preview', args = [], env = process.env, log = consoleLog() }) {
  const version = electronVersion(root) ?? 'unknown'
  let electron = findElectron({ root, env })
  if (!electron.path && electron.canInstall) {
    if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
      log.error(
        cannotInstallMessage(
          version,
          'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so npm start does not download it'
        )
      )
      return 1
    }
    log.info(`npm start: downloading the Electron ${version} binary (once)…`)
    const installed = await installElectron({ root, env, log })
    if (!installed.ok) {
      log.error(cannotInstallMessage(version, installed.reason))
      return 1
    }
    electron = findElectron({ root, env })
    if (electron.path) log.info(`npm start: Electron ${version} installed in node_modules/electron/dist`)
  }
  if (!electron.path) {
    log.error(`npm start: no Electron binary: ${electron.reason}.`)
    return 1
  }
  const electronVite = join(
    dirname(createRequire(join(root, 'package.json')).resolve('electron-vite/package.json')),
    'bin',
    'electron-vite.js'
  )
  // Chromium refuses to run as root without --no-sandbox (electron-vite's --noSandbox passes it on).
  const noSandbox =
    process.platform === 'linux' && process.getuid?.() === 0 && !args.includes('--noSandbox')
      ? ['--noSandbox']
      : []
  const child = spawn(process.execPath, [electronVite, command, ...noSandbox, ...args], {
    cwd: root,
    env: { ...env, ELECTRON_EXEC_PATH: electron.path },
    stdio: 'inherit'
  })
  const forward = (signal) => child.kill(signal)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  return new Promise((resolveCode) => {
    child.on('error', (error) => {
      log.error(`npm start: could not run electron-vite: ${error.message}`)
      resolveCode(1)
    })
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      resolveCode(code ?? (signal ? 1 : 0))
    })
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const [first, ...rest] = process.argv.slice(2)
  process.exitCode =
    first === 'dev'
      ? await start({ root, command: 'dev', args: rest })
      : await start({ root, args: process.argv.slice(2) })
}
