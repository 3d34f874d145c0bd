import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { extractAll, listPackage, statFile } from '@electron/asar'
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeWorkerLauncher } from '../../src/host/node-launcher.ts'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import { image, REPO_ROOT, request, submit, tokenText } from '../host/support/jobs.ts'
import { makeStandinElectron } from '../../scripts/packaging/standin-electron.js'

/**
 * `npm run dist:dir` (scripts/packaging/dist-dir.js → electron-builder --dir) against a stand-in Electron
 * distribution, then the packaged app as it would ship: its app.asar + app.asar.unpacked layout, the fuses flipped
 * in its executable, and its worker bundle run under Node from the extracted asar on the fixture model, with only the
 * packaged node_modules to load from (the extraction lies outside this repository). Linux only: the stand-in is a
 * Linux-layout Electron (scripts/packaging/standin-electron.js).
 */
const linux = process.platform === 'linux'
const projectPackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  main: string
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}
/** Dependencies of the command-line tool only (electron-builder.config.js leaves them out, with the reason). */
const CLI_ONLY = new Set(['tsx'])
const NATIVE_FILE = /\.(node|dll|dylib|so(\.\d+)*)$/

let work = ''
let unpackedApp = ''
let asarPath = ''
let asarFiles: string[] = []
let extracted = ''

describe.skipIf(!linux)('the packaged app (npm run dist:dir, stand-in Electron)', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'smolvlm-packaging-'))
    const standin = makeStandinElectron(join(work, 'electron'))
    const result = spawnSync(process.execPath, ['scripts/packaging/dist-dir.js'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        SMOLVLM_ELECTRON_DIST: standin,
        SMOLVLM_BUNDLES_DIR: join(work, 'out'),
        SMOLVLM_DIST_DIR: join(work, 'dist'),
        // No @electron/rebuild: it would rebuild this checkout's better-sqlite3 for Electron (and download headers).
        SMOLVLM_NO_REBUILD: '1'
      }
    })
    if (result.status !== 0)
      throw new Error(`dist:dir failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
    unpackedApp = join(work, 'dist', 'linux-unpacked')
    asarPath = join(unpackedApp, 'resources', 'app.asar')
    asarFiles = listPackage(asarPath, { isPack: false }).map((file) => file.replaceAll('\\', '/'))
    extracted = join(work, 'app')
    extractAll(asarPath, extracted)
  }, 180_000)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('is the product executable with the app in resources/app.asar and its native parts beside it', () => {
    expect(statSync(join(unpackedApp, 'smolvlm-desktop')).mode & 0o111).not.toBe(0)
    expect(existsSync(asarPath)).toBe(true)
    expect(statSync(join(unpackedApp, 'resources', 'app.asar.unpacked')).isDirectory()).toBe(true)
    // Nothing loose next to the archive that Electron could load instead of it.
    expect(existsSync(join(unpackedApp, 'resources', 'app'))).toBe(false)
    // The licences: the app's (Apache-2.0) and Electron's.
    expect(readFileSync(join(unpackedApp, 'resources', 'LICENSE.txt'), 'utf8')).toContain('Apache License')
    expect(existsSync(join(unpackedApp, 'LICENSE.electron.txt'))).toBe(true)
  })

  it('holds the main, preload, renderer and worker bundles, the window icon and package.json', () => {
    for (const file of [
      '/out/main/index.js',
      '/out/main/worker.js',
      '/out/main/worker-node.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/resources/icon.png',
      '/package.json'
    ])
      expect(asarFiles).toContain(file)
    expect(asarFiles.some((file) => /^\/out\/renderer\/assets\/index-[\w-]+\.js$/.test(file))).toBe(true)
    const packaged = JSON.parse(readFileSync(join(extracted, 'package.json'), 'utf8')) as { main: string }
    expect(packaged.main).toBe(projectPackage.main)
    // Sources, tests, fixtures and caches stay out.
    expect(asarFiles.filter((file) => /^\/(src|tests|scripts|docs|\.cache|tmp)\//.test(file))).toEqual([])
  })

  it('holds every runtime dependency, transitively, and no devDependency or CLI-only one', () => {
    const missing: string[] = []
    const seen = new Set<string>()
    /** Node's lookup, confined to the extracted app: <dir>/node_modules/<name>, then each parent's. */
    const locate = (fromDir: string, name: string): string | null => {
      for (let dir = fromDir; dir.startsWith(extracted); dir = resolve(dir, '..')) {
        const candidate = join(dir, 'node_modules', name)
        if (existsSync(join(candidate, 'package.json'))) return candidate
        if (dir === extracted) break
      }
      return null
    }
    /** Whether this checkout installed an optional dependency (other platforms' builds are not installed). */
    const installedHere = (name: string): boolean => {
      try {
        createRequire(join(REPO_ROOT, 'package.json')).resolve(`${name}/package.json`)
        return true
      } catch {
        return existsSync(join(REPO_ROOT, 'node_modules', name))
      }
    }
    const visit = (fromDir: string, name: string, optional: boolean): void => {
      const dir = locate(fromDir, name)
      if (!dir) {
        if (!optional || installedHere(name)) missing.push(`${name} (needed by ${fromDir})`)
        return
      }
      if (seen.has(dir)) return
      seen.add(dir)
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>
        optionalDependencies?: Record<string, string>
      }
      for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dir, dep, false)
      for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dir, dep, true)
    }
    const runtime = Object.keys(projectPackage.dependencies).filter((name) => !CLI_ONLY.has(name))
    for (const name of runtime) visit(extracted, name, false)
    expect(missing).toEqual([])
    expect(seen.size).toBeGreaterThan(runtime.length)

    const packagedTopLevel = new Set(asarFiles.map((file) => file.split('/').slice(2, 4).join('/')))
    const present = (name: string): boolean =>
      [...packagedTopLevel].some((entry) => entry === name || entry.startsWith(`${name}/`))
    for (const name of [...Object.keys(projectPackage.devDependencies), ...CLI_ONLY, 'esbuild'])
      expect(present(name), `${name} is packaged`).toBe(false)
  })

  it('keeps every native binary out of the archive (app.asar.unpacked), this platform’s only', () => {
    const native = asarFiles.filter((file) => NATIVE_FILE.test(file))
    const packed = native.filter((file) => !('unpacked' in statFile(asarPath, file.slice(1), false)))
    expect(packed).toEqual([])
    for (const file of native)
      expect(existsSync(join(unpackedApp, 'resources', 'app.asar.unpacked', file))).toBe(true)

    const ortBin = '/node_modules/onnxruntime-node/bin/napi-v6/'
    expect(native).toContain(`${ortBin}linux/x64/onnxruntime_binding.node`)
    expect(native).toContain(`${ortBin}linux/x64/libonnxruntime.so.1`)
    expect(native.some((file) => /^\/node_modules\/@img\/sharp-linux-x64\/.*\.node$/.test(file))).toBe(true)
    expect(native.some((file) => /^\/node_modules\/@img\/sharp-libvips-linux-x64\/.*\.so/.test(file))).toBe(
      true
    )
    // The watched folder's native watcher, prebuilt per platform (Node-API).
    if ('@parcel/watcher' in projectPackage.dependencies)
      expect(native).toContain('/node_modules/@parcel/watcher-linux-x64-glibc/watcher.node')
    if ('better-sqlite3' in projectPackage.dependencies)
      expect(native).toContain('/node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    // ExifTool is a Perl program the metadata reader starts: it must be a real file (exiftool-vendored looks for it
    // under app.asar.unpacked).
    if ('exiftool-vendored' in projectPackage.dependencies) {
      const exiftool = 'node_modules/exiftool-vendored.pl/bin/exiftool'
      expect('unpacked' in statFile(asarPath, exiftool, false)).toBe(true)
      expect(existsSync(join(unpackedApp, 'resources', 'app.asar.unpacked', exiftool))).toBe(true)
    }
    // onnxruntime-node's darwin, win32 and linux/arm64 builds (~245 MB) are left out.
    expect(asarFiles.filter((file) => file.startsWith(ortBin) && !file.startsWith(`${ortBin}linux`))).toEqual(
      []
    )
    expect(asarFiles.filter((file) => file.startsWith(`${ortBin}linux/arm64`))).toEqual([])
  })

  it('flips the fuses in the packaged executable (checklist 19)', async () => {
    const wire = await getCurrentFuseWire(join(unpackedApp, 'smolvlm-desktop'))
    const state = (option: FuseV1Options): string => String.fromCharCode(wire[option] as number)
    expect({
      runAsNode: state(FuseV1Options.RunAsNode),
      cookieEncryption: state(FuseV1Options.EnableCookieEncryption),
      nodeOptions: state(FuseV1Options.EnableNodeOptionsEnvironmentVariable),
      inspectArguments: state(FuseV1Options.EnableNodeCliInspectArguments),
      asarIntegrity: state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation),
      onlyLoadFromAsar: state(FuseV1Options.OnlyLoadAppFromAsar),
      fileProtocolPrivileges: state(FuseV1Options.GrantFileProtocolExtraPrivileges)
    }).toEqual({
      runAsNode: '0',
      cookieEncryption: '1',
      nodeOptions: '0',
      inspectArguments: '0',
      asarIntegrity: '1',
      onlyLoadFromAsar: '1',
      fileProtocolPrivileges: '0'
    })
  })

  it('runs the packaged worker under Node on the test model until it streams a caption, loading only packaged modules', async () => {
    const entry = join(extracted, 'out', 'main', 'worker-node.js')
    expect(extracted.startsWith(REPO_ROOT)).toBe(false)
    const supervisor = new WorkerSupervisor({
      launcher: nodeWorkerLauncher({ entry, env: { ...process.env, NODE_PATH: '' }, stdio: 'inherit' })
    })
    supervisor.start()
    try {
      const job = submit(supervisor, request({ maxNewTokens: 6 }))
      await job.firstToken
      const pid = supervisor.status().worker.pid
      expect(pid).toBeGreaterThan(0)
      const maps = readFileSync(`/proc/${pid}/maps`, 'utf8')
      const done = await job.finished
      expect(done.type).toBe('done')
      if (done.type !== 'done') return
      expect(job.events.filter((event) => event.type === 'token').length).toBeGreaterThan(0)
      expect(done.text).toBe(tokenText(job.events))
      expect(done.text.length).toBeGreaterThan(0)
      // The native code came from the extracted package, not from this checkout's node_modules.
      expect(maps).toContain(join(extracted, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64'))
      expect(maps).toContain(join(extracted, 'node_modules/@img/sharp-linux-x64'))
      expect(maps).not.toContain(join(REPO_ROOT, 'node_modules'))
    } finally {
      await supervisor.stop()
    }
  })

  it('the packaged worker describes a HEIC (libheif-js) and a DNG from its preview (ExifTool)', async () => {
    // libheif-js is unpacked: the main process's HEIC worker thread requires it by a plain path (heic-thread.ts).
    const bundle = 'node_modules/libheif-js/libheif-wasm/libheif-bundle.js'
    expect('unpacked' in statFile(asarPath, bundle, false)).toBe(true)
    expect(
      existsSync(
        join(unpackedApp, 'resources', 'app.asar.unpacked', 'node_modules/libheif-js/wasm-bundle.js')
      )
    ).toBe(true)
    // The app runs ExifTool from app.asar.unpacked, executable; extractAll's copy of it lost the mode bits.
    const exiftool = 'node_modules/exiftool-vendored.pl/bin/exiftool'
    const unpackedMode = statSync(join(unpackedApp, 'resources', 'app.asar.unpacked', exiftool)).mode
    expect(unpackedMode & 0o111).not.toBe(0)
    chmodSync(join(extracted, exiftool), unpackedMode & 0o777)
    const entry = join(extracted, 'out', 'main', 'worker-node.js')
    const supervisor = new WorkerSupervisor({
      launcher: nodeWorkerLauncher({ entry, env: { ...process.env, NODE_PATH: '' }, stdio: 'inherit' })
    })
    supervisor.start()
    try {
      for (const name of ['heic-raw/rotated.heic', 'heic-raw/preview.dng']) {
        const job = submit(supervisor, request({ images: [image(name)], maxNewTokens: 2 }))
        expect(await job.finished, name).toMatchObject({ type: 'done', cancelled: false })
      }
    } finally {
      await supervisor.stop()
    }
  })

  it('loads better-sqlite3 from the packaged files (built for Node here: dist:dir skips the Electron rebuild)', () => {
    if (!('better-sqlite3' in projectPackage.dependencies)) return
    const load = createRequire(join(extracted, 'package.json'))
    const Database = load('better-sqlite3') as new (file: string) => {
      prepare: (sql: string) => { get: () => unknown }
      close: () => void
    }
    const db = new Database(':memory:')
    expect(db.prepare("select sqlite_compileoption_used('ENABLE_FTS5') as fts5").get()).toEqual({ fts5: 1 })
    db.close()
    expect(load.resolve('better-sqlite3').startsWith(extracted)).toBe(true)
  })

  it('lists no file twice and nothing from other platforms’ sharp builds', () => {
    expect(new Set(asarFiles).size).toBe(asarFiles.length)
    const imgPackages = readdirSync(join(extracted, 'node_modules', '@img'))
    expect(imgPackages.filter((name) => /^sharp-(?!.*linux-x64)/.test(name))).toEqual([])
  })
})
