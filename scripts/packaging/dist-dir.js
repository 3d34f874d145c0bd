#!/usr/bin/env node
// `npm run dist:dir`: the bundles (electron-vite build), then electron-builder's unpacked-directory target for this
// platform (dist/linux-unpacked, dist/win-unpacked, dist/mac-arm64). electron-builder normally downloads the
// Electron zip; this script never lets it: it packages
//   - SMOLVLM_ELECTRON_DIST, an unpacked Electron folder, if set;
//   - else the Electron binary `npm start` uses (ELECTRON_OVERRIDE_DIST_PATH, or node_modules/electron/dist once
//     installed), which gives a runnable app;
//   - else a stand-in distribution (scripts/packaging/standin-electron.js, Linux only): the layout, the asar and
//     the fuses are real, the executable is not. Native modules are not rebuilt then (that downloads Electron's
//     headers; better-sqlite3 stays built for Node, which is what tests/packaging runs it under).
// SMOLVLM_BUNDLES_DIR builds the bundles into another folder than out/, SMOLVLM_DIST_DIR writes elsewhere than dist/.
import { spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { findElectron } from '../lib/electron-binary.js'
import { makeStandinElectron } from './standin-electron.js'

const root = resolve(import.meta.dirname, '../..')

/** The unpacked Electron folder that contains `executable` (on macOS the folder holding Electron.app). */
function distFolderOf(executable, platform) {
  return platform === 'darwin' ? resolve(executable, '../../../..') : dirname(executable)
}

/**
 * Which Electron distribution to package: { dir, standin, why }. A stand-in is made only on Linux (electron-builder
 * edits the Windows executable's resources and expects Electron.app on macOS).
 */
export function chooseElectronDist({ env = process.env, platform = process.platform, project = root } = {}) {
  if (env.SMOLVLM_ELECTRON_DIST)
    return { dir: resolve(env.SMOLVLM_ELECTRON_DIST), standin: false, why: 'SMOLVLM_ELECTRON_DIST' }
  const found = findElectron({ root: project, env, platform })
  if (found.path) return { dir: distFolderOf(found.path, platform), standin: false, why: found.path }
  if (platform !== 'linux')
    throw new Error(
      `no Electron binary (${found.reason}); set SMOLVLM_ELECTRON_DIST to an unpacked Electron ${platform} build`
    )
  const dir = makeStandinElectron(join(project, 'node_modules', '.cache', 'smolvlm-standin-electron'))
  return { dir, standin: true, why: found.reason }
}

function run(command, args, env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

function main() {
  let electron
  try {
    electron = chooseElectronDist()
  } catch (error) {
    console.error(`dist:dir: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
  if (electron.standin)
    console.log(
      `dist:dir: no Electron binary here (${electron.why}).\n` +
        `dist:dir: packaging a stand-in Electron (${electron.dir}): the app's layout is real, its executable is not.`
    )
  else console.log(`dist:dir: packaging the Electron build in ${electron.dir}`)

  // Absolute: electron-vite resolves a relative --outDir against each root, src/renderer's for the renderer.
  const bundles = resolve(root, process.env.SMOLVLM_BUNDLES_DIR || 'out')
  const electronVite = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  run(process.execPath, [electronVite, 'build', '--outDir', bundles], process.env)

  const builder = join(root, 'node_modules', 'electron-builder', 'cli.js')
  run(process.execPath, [builder, '--dir', '--config', 'electron-builder.config.js'], {
    ...process.env,
    SMOLVLM_ELECTRON_DIST: electron.dir,
    SMOLVLM_BUNDLES_DIR: bundles,
    ...(electron.standin ? { SMOLVLM_NO_REBUILD: '1' } : {}),
    // electron-builder checks npm for a newer version of itself unless this is set.
    NO_UPDATE_NOTIFIER: '1'
  })
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main()
