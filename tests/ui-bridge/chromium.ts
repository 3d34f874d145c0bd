import { spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createBrotliDecompress } from 'node:zlib'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'

const REPO_ROOT = resolve(import.meta.dirname, '../..')

/** Debian's package puts its browser here (`apt-get install -y chromium`). */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run'
]

export interface ChromiumChoice {
  readonly executablePath: string
  /** Where it came from, for messages: the override, Debian's package, or the npm package. */
  readonly source: 'CHROMIUM_PATH' | 'debian' | '@sparticuz/chromium'
  /** Extra environment for the browser process (the bundled fonts where the system has no fontconfig). */
  readonly env?: Record<string, string>
}

export interface FindChromiumOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly debianPath?: string
  /** The @sparticuz/chromium package folder (holds bin/chromium.br); found from the repository by default. */
  readonly sparticuzDir?: string | null
  /** Where the unpacked npm browser is kept between runs. */
  readonly cacheDir?: string
  /** The system's fontconfig file; when it is missing the npm package's own fonts are used. */
  readonly systemFontsConf?: string
  readonly platform?: NodeJS.Platform
  readonly arch?: string
}

/** The installed @sparticuz/chromium package folder, or null when it is not installed. */
function sparticuzPackageDir(): string | null {
  try {
    // The package exports no ./package.json: resolve its entry (somewhere under build/) and go up to the package.
    let dir = dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve('@sparticuz/chromium'))
    while (!existsSync(join(dir, 'bin/chromium.br')) && dirname(dir) !== dir) dir = dirname(dir)
    return existsSync(join(dir, 'bin/chromium.br')) ? dir : null
  } catch {
    return null
  }
}

/** Decompresses `source` (brotli) to `target` through a temporary name, so a reader never sees half a file. */
async function unbrotli(source: string, target: string, mode: number): Promise<void> {
  const partial = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.part`
  try {
    await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(partial, { mode }))
    await rename(partial, target)
  } finally {
    await rm(partial, { force: true })
  }
}

/**
 * The headless Chromium inside the @sparticuz/chromium tarball (Linux x64 only), unpacked once into
 * `cacheDir/<version>/`. Test files running side by side may both unpack it; each writes its own temporary file
 * and renames it into place, so the result is the same and never partial.
 */
async function unpackSparticuz(
  packageDir: string,
  cacheDir: string,
  systemFontsConf: string
): Promise<ChromiumChoice> {
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string })
    .version
  const dir = join(cacheDir, version)
  await mkdir(dir, { recursive: true })
  const executablePath = join(dir, 'chromium')
  if (!existsSync(executablePath)) await unbrotli(join(packageDir, 'bin/chromium.br'), executablePath, 0o755)
  if (existsSync(systemFontsConf)) return { executablePath, source: '@sparticuz/chromium' }
  // No fontconfig on this machine: use the package's fonts (Open Sans) with a fontconfig file of our own.
  const fontsDir = join(dir, 'fonts')
  const fontsConf = join(dir, 'fonts.conf')
  if (!existsSync(fontsConf)) {
    const tarFile = join(dir, 'fonts.tar')
    await unbrotli(join(packageDir, 'bin/fonts.tar.br'), tarFile, 0o644)
    await mkdir(fontsDir, { recursive: true })
    const untar = spawnSync('tar', ['-xf', tarFile, '-C', fontsDir], { encoding: 'utf8' })
    await rm(tarFile, { force: true })
    if (untar.status !== 0)
      throw new Error(`Could not unpack the fonts of @sparticuz/chromium: ${untar.stderr}`)
    const conf =
      '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n' +
      `  <dir>${fontsDir}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`
    const partial = `${fontsConf}.${process.pid}.part`
    await writeFile(partial, conf)
    await rename(partial, fontsConf)
  }
  return { executablePath, source: '@sparticuz/chromium', env: { FONTCONFIG_FILE: fontsConf } }
}

/**
 * The browser the UI tests drive, in this order: `CHROMIUM_PATH` (must exist), Debian's `/usr/bin/chromium`,
 * then the headless Chromium shipped inside the `@sparticuz/chromium` devDependency (no root, no download).
 */
export async function findChromium(options: FindChromiumOptions = {}): Promise<ChromiumChoice> {
  const env = options.env ?? process.env
  const override = env['CHROMIUM_PATH']
  if (override) {
    if (!existsSync(override)) throw new Error(`CHROMIUM_PATH is set to ${override}, which does not exist`)
    return { executablePath: override, source: 'CHROMIUM_PATH' }
  }
  const debian = options.debianPath ?? DEBIAN_CHROMIUM
  if (existsSync(debian)) return { executablePath: debian, source: 'debian' }
  const platform = options.platform ?? process.platform
  const arch = options.arch ?? process.arch
  const packageDir = options.sparticuzDir === undefined ? sparticuzPackageDir() : options.sparticuzDir
  if (
    platform !== 'linux' ||
    arch !== 'x64' ||
    !packageDir ||
    !existsSync(join(packageDir, 'bin/chromium.br'))
  )
    throw new Error(
      `No Chromium for the UI tests: ${debian} does not exist and the bundled @sparticuz/chromium ` +
        (platform !== 'linux' || arch !== 'x64'
          ? `runs on Linux x64 only (this is ${platform}-${arch})`
          : 'is not installed (npm install)') +
        '; set CHROMIUM_PATH to a Chromium or Chrome executable'
    )
  return unpackSparticuz(
    packageDir,
    options.cacheDir ?? join(REPO_ROOT, 'node_modules/.cache/smolvlm-chromium'),
    options.systemFontsConf ?? '/etc/fonts/fonts.conf'
  )
}

/** A headless Chromium (see findChromium) driven by playwright-core, which downloads no browser of its own. */
export async function launchChromium(options: { headless?: boolean } = {}): Promise<Browser> {
  const found = await findChromium()
  return chromium.launch({
    executablePath: found.executablePath,
    args: CHROMIUM_ARGS,
    headless: options.headless ?? true,
    ...(found.env ? { env: { ...process.env, ...found.env } } : {})
  })
}
