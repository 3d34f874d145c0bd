// Finding and installing the Electron binary without require('electron') (which would start a download of its
// own and throw a stack trace when it fails). Used by scripts/start.js (npm start), scripts/run-e2e.js
// (npm run test:e2e) and tests/e2e-electron. No dependencies: plain Node.
//
// Electron >= 42 does not download its binary at `npm install`; the package's `install-electron` bin
// (node_modules/electron/install.js) does, on first use: it fetches the zip with @electron/get (honouring
// ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, electron_config_cache, the ~/.cache/electron cache), unpacks it into
// node_modules/electron/dist and writes node_modules/electron/path.txt (the executable's path inside dist/),
// which is what electron-vite reads. ELECTRON_OVERRIDE_DIST_PATH names an unpacked Electron build to use instead.
// ELECTRON_SKIP_BINARY_DOWNLOAD is no longer read by Electron's installer (since 42); we honour it by not
// downloading.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The Electron executable inside a dist folder, per platform (as the electron package lays it out). */
export function executableIn(dist, platform = process.platform) {
  if (platform === 'win32') return join(dist, 'electron.exe')
  if (platform === 'darwin') return join(dist, 'Electron.app', 'Contents', 'MacOS', 'Electron')
  return join(dist, 'electron')
}

/** The version of the installed electron package, or null when it is not installed. */
export function electronVersion(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
  } catch {
    return null
  }
}

/**
 * { path } of a usable Electron binary for the project at `root`, or { reason, canInstall } why there is none
 * (canInstall: running Electron's installer could fix it).
 */
export function findElectron({ root, env = process.env, platform = process.platform }) {
  const override = env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) {
    const path = executableIn(override, platform)
    return existsSync(path)
      ? { path }
      : { reason: `ELECTRON_OVERRIDE_DIST_PATH is set but ${path} does not exist`, canInstall: false }
  }
  const packageDir = join(root, 'node_modules', 'electron')
  if (!existsSync(join(packageDir, 'package.json')))
    return { reason: 'the electron package is not installed (run npm install)', canInstall: false }
  const pathTxt = join(packageDir, 'path.txt')
  if (!existsSync(pathTxt)) {
    return {
      reason:
        'node_modules/electron/path.txt is missing: Electron >= 42 downloads its binary on first run (npx install-electron), ' +
        'which needs the network; or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron build',
      canInstall: true
    }
  }
  const path = join(packageDir, 'dist', readFileSync(pathTxt, 'utf8').trim())
  if (!existsSync(path))
    return { reason: `node_modules/electron/path.txt names ${path}, which does not exist`, canInstall: true }
  // An `npm install` of another Electron version keeps the old dist/; the installer replaces it.
  const versionFile = join(packageDir, 'dist', 'version')
  const version = electronVersion(root)
  if (
    existsSync(versionFile) &&
    version &&
    readFileSync(versionFile, 'utf8').trim().replace(/^v/, '') !== version
  )
    return {
      reason: `node_modules/electron/dist holds another Electron version than ${version}`,
      canInstall: true
    }
  return { path }
}

/** The error line of the installer's output (its stack trace's first line), without the "Error:" prefix. */
export function installerReason(output) {
  const line = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('at ') && !/^Downloading /.test(l))
  return (line ?? 'the installer failed').replace(/^[A-Za-z]*Error: /, '')
}

/** The size of the zip the installer is downloading into `dir` (its own temporary folder), or 0. */
function downloadedBytes(dir) {
  let total = 0
  try {
    for (const sub of readdirSync(dir)) {
      const subDir = join(dir, sub)
      if (!statSync(subDir).isDirectory()) continue
      for (const file of readdirSync(subDir)) total += statSync(join(subDir, file)).size
    }
  } catch {
    // The folder comes and goes while the installer works.
  }
  return total
}

/**
 * Runs the electron package's own installer (node_modules/electron/install.js, the `install-electron` bin) with a
 * progress line on `log.progress`. Resolves { ok: true } or { ok: false, reason } (the installer's error line;
 * its stack trace is kept out of the terminal).
 */
export function installElectron({ root, env = process.env, log }) {
  const installer = join(root, 'node_modules', 'electron', 'install.js')
  // A private temporary folder: @electron/get downloads the zip there, so its growing size is the progress.
  const temp = mkdtempSync(join(tmpdir(), 'smolvlm-electron-'))
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [installer], {
      cwd: root,
      env: { ...env, TMPDIR: temp, TMP: temp, TEMP: temp, ELECTRON_GET_NO_PROGRESS: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    let shown = -1
    const timer = setInterval(() => {
      const mb = Math.floor(downloadedBytes(temp) / 1e6)
      if (mb !== shown) log.progress(mb)
      shown = mb
    }, 500)
    const finish = (result) => {
      clearInterval(timer)
      rmSync(temp, { recursive: true, force: true })
      resolvePromise(result)
    }
    child.on('error', (error) => finish({ ok: false, reason: error.message }))
    child.on('close', (code, signal) => {
      if (code === 0) finish({ ok: true })
      else
        finish({
          ok: false,
          reason: signal ? `the installer was stopped (${signal})` : installerReason(output)
        })
    })
  })
}
