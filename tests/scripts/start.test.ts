/**
 * `npm start` (scripts/start.js): finds the Electron binary or installs it with the electron package's own
 * installer, then runs `electron-vite preview` with ELECTRON_EXEC_PATH set. Each test builds a stand-in project
 * (electron package, dist folder with an executable shell script as "Electron", an electron-vite stand-in that
 * records how it was called and runs that executable) and really spawns the script; the installer tests run
 * Electron's real install.js against a local mirror: one that refuses connections, and one serving a zip.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../host/support/temp.ts'

const REPO = resolve(import.meta.dirname, '../..')
const REAL_ELECTRON = join(REPO, 'node_modules/electron')
const VERSION = (JSON.parse(readFileSync(join(REAL_ELECTRON, 'package.json'), 'utf8')) as { version: string })
  .version
const FAKE_ELECTRON = '#!/bin/sh\necho "fake electron ran" > "$FAKE_ELECTRON_OUT"\n'
// Records its arguments and ELECTRON_EXEC_PATH, then runs that executable as electron-vite preview would.
const FAKE_ELECTRON_VITE = `import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
writeFileSync(process.env.FAKE_VITE_OUT, JSON.stringify({ args: process.argv.slice(2), exec: process.env.ELECTRON_EXEC_PATH }))
const run = spawnSync(process.env.ELECTRON_EXEC_PATH, [], { stdio: 'inherit' })
process.exit(run.status ?? 1)
`
const linuxOnly = process.platform === 'linux' && process.arch === 'x64'

interface Project {
  readonly root: string
  readonly viteOut: string
  readonly electronOut: string
}

/** A stand-in project holding scripts/start.js (copied), electron-vite and the electron package. */
async function project(electron: 'installed' | 'not installed'): Promise<Project> {
  const root = await tempDir('start-')
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'p', private: true, type: 'module' }))
  cpSync(join(REPO, 'scripts/start.js'), join(root, 'scripts/start.js'))
  cpSync(join(REPO, 'scripts/lib'), join(root, 'scripts/lib'), { recursive: true })
  const vite = join(root, 'node_modules/electron-vite')
  mkdirSync(join(vite, 'bin'), { recursive: true })
  writeFileSync(join(vite, 'package.json'), JSON.stringify({ name: 'electron-vite', version: '0.0.0' }))
  writeFileSync(join(vite, 'bin/electron-vite.js'), FAKE_ELECTRON_VITE)
  // The real package's installer, its checksums and its dependencies (linked, resolved from the real tree).
  const pkg = join(root, 'node_modules/electron')
  mkdirSync(pkg, { recursive: true })
  for (const file of ['package.json', 'install.js', 'checksums.json'])
    cpSync(join(REAL_ELECTRON, file), join(pkg, file))
  symlinkSync(join(REPO, 'node_modules/@electron'), join(root, 'node_modules/@electron'))
  symlinkSync(join(REPO, 'node_modules/@electron-internal'), join(root, 'node_modules/@electron-internal'))
  if (electron === 'installed') {
    mkdirSync(join(pkg, 'dist'))
    writeFileSync(join(pkg, 'dist/electron'), FAKE_ELECTRON, { mode: 0o755 })
    writeFileSync(join(pkg, 'dist/version'), VERSION)
    writeFileSync(join(pkg, 'path.txt'), 'electron')
  }
  return { root, viteOut: join(root, 'vite.json'), electronOut: join(root, 'electron.txt') }
}

async function runStart(
  p: Project,
  env: Record<string, string> = {},
  args: string[] = []
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(p.root, 'scripts/start.js'), ...args], {
    cwd: p.root,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: p.root,
      electron_config_cache: join(p.root, 'electron-cache'),
      FAKE_VITE_OUT: p.viteOut,
      FAKE_ELECTRON_OUT: p.electronOut,
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await new Promise<number | null>((done) => child.on('close', done))
  return { code, output }
}

/** A port on 127.0.0.1 that refuses connections (bound once, then closed). */
async function refusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  await new Promise((done) => server.close(done))
  return port
}

/** A zip (stored, no compression) of the given files with Unix modes, as Electron's release zips are laid out. */
function zip(files: { name: string; data: Buffer; mode: number }[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const file of files) {
    const name = Buffer.from(file.name)
    const crc = crc32(file.data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(file.data.length, 18)
    local.writeUInt32LE(file.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4) // made on Unix: the external attributes carry the mode
    central.writeUInt16LE(20, 6)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(file.data.length, 20)
    central.writeUInt32LE(file.data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(((0o100000 | file.mode) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, file.data)
    centrals.push(central, name)
    offset += local.length + name.length + file.data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

describe.runIf(process.platform === 'linux')('npm start (scripts/start.js)', () => {
  it('runs electron-vite preview with the installed binary, passing arguments on, without downloading', async () => {
    const p = await project('installed')
    const { code, output } = await runStart(p, {}, ['--sourcemap'])
    expect(code).toBe(0)
    expect(output).not.toMatch(/download/i)
    const vite = JSON.parse(readFileSync(p.viteOut, 'utf8')) as { args: string[]; exec: string }
    expect(vite.args[0]).toBe('preview')
    expect(vite.args).toContain('--sourcemap')
    expect(vite.exec).toBe(join(p.root, 'node_modules/electron/dist/electron'))
    expect(readFileSync(p.electronOut, 'utf8')).toBe('fake electron ran\n')
  })

  it('uses ELECTRON_OVERRIDE_DIST_PATH when set, and says so when that folder has no Electron', async () => {
    const p = await project('not installed')
    const dist = join(p.root, 'my-electron')
    mkdirSync(dist)
    writeFileSync(join(dist, 'electron'), FAKE_ELECTRON, { mode: 0o755 })
    const ok = await runStart(p, { ELECTRON_OVERRIDE_DIST_PATH: dist })
    expect(ok.code).toBe(0)
    expect((JSON.parse(readFileSync(p.viteOut, 'utf8')) as { exec: string }).exec).toBe(
      join(dist, 'electron')
    )

    const empty = join(p.root, 'empty')
    mkdirSync(empty)
    const bad = await runStart(p, { ELECTRON_OVERRIDE_DIST_PATH: empty })
    expect(bad.code).toBe(1)
    expect(bad.output.trim()).toBe(
      `npm start: no Electron binary: ELECTRON_OVERRIDE_DIST_PATH is set but ${join(empty, 'electron')} does not exist.`
    )
  })

  it('when the binary is missing and cannot be downloaded: one sentence saying what to do, exit 1, no stack trace', async () => {
    const p = await project('not installed')
    const port = await refusedPort()
    const { code, output } = await runStart(p, { ELECTRON_MIRROR: `http://127.0.0.1:${port}/` })
    expect(code).toBe(1)
    const lines = output.trim().split('\n')
    expect(lines[0]).toBe(`npm start: downloading the Electron ${VERSION} binary (once)…`)
    expect(lines.slice(1)).toEqual([
      `npm start: the Electron ${VERSION} binary could not be downloaded (fetch failed); connect this machine to ` +
        'the internet and run npm start again, or set ELECTRON_MIRROR to a reachable Electron mirror, or set ' +
        'ELECTRON_OVERRIDE_DIST_PATH to a folder holding an unpacked Electron build.'
    ])
    expect(output).not.toMatch(/^\s+at /m)
    expect(existsSync(p.viteOut)).toBe(false)
    expect(existsSync(join(p.root, 'node_modules/electron/path.txt'))).toBe(false)
  })

  it('does not download when ELECTRON_SKIP_BINARY_DOWNLOAD is set, and says what to do', async () => {
    const p = await project('not installed')
    const { code, output } = await runStart(p, {
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
      ELECTRON_MIRROR: 'http://0.0.0.0:1/'
    })
    expect(code).toBe(1)
    expect(output.trim()).toBe(
      `npm start: the Electron ${VERSION} binary could not be downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD is set, so ` +
        'npm start does not download it); connect this machine to the internet and run npm start again, or set ' +
        'ELECTRON_MIRROR to a reachable Electron mirror, or set ELECTRON_OVERRIDE_DIST_PATH to a folder holding an ' +
        'unpacked Electron build.'
    )
  })

  it.runIf(linuxOnly)(
    'downloads a missing binary with the electron package installer (from a mirror), then runs preview with it',
    async () => {
      const p = await project('not installed')
      const file = `electron-v${VERSION}-linux-x64.zip`
      // 24 MB, served as 12 MB, 10 MB and the rest with a pause after each, so the progress line shows 1x and 2x MB.
      const body = zip([
        { name: 'electron', data: Buffer.from(FAKE_ELECTRON), mode: 0o755 },
        { name: 'version', data: Buffer.from(VERSION), mode: 0o644 },
        { name: 'resources/padding', data: Buffer.alloc(24e6), mode: 0o644 }
      ])
      const sums = `${createHash('sha256').update(body).digest('hex')} *${file}\n`
      const requests: string[] = []
      const server = createServer((req, res) => {
        requests.push(req.url ?? '')
        if (req.url === `/v${VERSION}/${file}`) {
          res.writeHead(200, { 'content-length': body.length })
          const ends = [12e6, 22e6, body.length]
          const send = (piece: number): void => {
            if (piece === ends.length) return void res.end()
            res.write(body.subarray(piece === 0 ? 0 : ends[piece - 1], ends[piece]))
            setTimeout(() => send(piece + 1), 1200)
          }
          send(0)
        } else if (req.url === `/v${VERSION}/SHASUMS256.txt`) res.end(sums)
        else res.writeHead(404).end()
      })
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
      try {
        const { port } = server.address() as AddressInfo
        const { code, output } = await runStart(p, {
          ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
          // Our zip is not Electron's: check it against the mirror's SHASUMS256.txt instead of checksums.json.
          electron_use_remote_checksums: '1'
        })
        expect(output).toContain(`npm start: downloading the Electron ${VERSION} binary (once)…`)
        expect(output).toContain(`npm start: Electron ${VERSION} installed in node_modules/electron/dist`)
        // Not a terminal: one progress line per 10 MB.
        expect(output).toMatch(/^npm start: downloading Electron… 1\d MB$/m)
        expect(output).toMatch(/^npm start: downloading Electron… 2\d MB$/m)
        expect(output).not.toMatch(/^\s+at /m)
        expect(code).toBe(0)
        expect(requests).toContain(`/v${VERSION}/${file}`)
        expect(readFileSync(join(p.root, 'node_modules/electron/path.txt'), 'utf8')).toBe('electron')
        expect((JSON.parse(readFileSync(p.viteOut, 'utf8')) as { exec: string }).exec).toBe(
          join(p.root, 'node_modules/electron/dist/electron')
        )
        expect(readFileSync(p.electronOut, 'utf8')).toBe('fake electron ran\n')
      } finally {
        await new Promise((done) => server.close(done))
      }
    }
  )
})
