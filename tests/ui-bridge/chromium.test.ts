/**
 * Which browser the UI tests drive (findChromium): CHROMIUM_PATH, then Debian's chromium, then the headless
 * Chromium inside the @sparticuz/chromium devDependency, unpacked into a cache (with its own fonts where the
 * machine has no fontconfig).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../host/support/temp.ts'
import { CHROMIUM_ARGS, findChromium } from './chromium.ts'
import { REPO_ROOT } from './bridge.ts'

const bundled = process.platform === 'linux' && process.arch === 'x64'

async function fakeExecutable(): Promise<string> {
  const path = join(await tempDir('chromium-'), 'chrome')
  writeFileSync(path, '#!/bin/sh\n', { mode: 0o755 })
  return path
}

describe('findChromium', () => {
  it('takes CHROMIUM_PATH first, and refuses one that does not exist', async () => {
    const path = await fakeExecutable()
    const debianPath = await fakeExecutable()
    await expect(findChromium({ env: { CHROMIUM_PATH: path }, debianPath })).resolves.toEqual({
      executablePath: path,
      source: 'CHROMIUM_PATH'
    })
    await expect(findChromium({ env: { CHROMIUM_PATH: '/nonexistent/chrome' }, debianPath })).rejects.toThrow(
      'CHROMIUM_PATH is set to /nonexistent/chrome, which does not exist'
    )
  })

  it("takes Debian's chromium where it is installed", async () => {
    const debianPath = await fakeExecutable()
    await expect(findChromium({ env: {}, debianPath })).resolves.toEqual({
      executablePath: debianPath,
      source: 'debian'
    })
  })

  it('says what to do when there is no browser at all', async () => {
    const debianPath = '/nonexistent/chromium'
    await expect(findChromium({ env: {}, debianPath, sparticuzDir: null })).rejects.toThrow(
      'No Chromium for the UI tests: /nonexistent/chromium does not exist and the bundled @sparticuz/chromium is ' +
        'not installed (npm install); set CHROMIUM_PATH to a Chromium or Chrome executable'
    )
    await expect(findChromium({ env: {}, debianPath, platform: 'darwin', arch: 'arm64' })).rejects.toThrow(
      'runs on Linux x64 only (this is darwin-arm64)'
    )
  })

  it.runIf(bundled)(
    'otherwise unpacks @sparticuz/chromium once, with its own fonts where the system has none, and it renders text',
    async () => {
      const cacheDir = await tempDir('chromium-cache-')
      const options = {
        env: {},
        debianPath: '/nonexistent/chromium',
        cacheDir,
        systemFontsConf: '/nonexistent/fonts.conf'
      }
      const found = await findChromium(options)
      expect(found.source).toBe('@sparticuz/chromium')
      expect(found.executablePath.startsWith(cacheDir)).toBe(true)
      expect(spawnSync(found.executablePath, ['--version'], { encoding: 'utf8' }).stdout).toMatch(
        /^Chromium \d+\./
      )
      const fontsConf = found.env?.['FONTCONFIG_FILE']
      expect(fontsConf && existsSync(fontsConf)).toBe(true)
      expect(await readdir(join(fontsConf ?? '', '../fonts'), { recursive: true })).toContain(
        'fonts/Open_Sans/OpenSans-Regular.ttf'
      )
      // A second call reuses what is unpacked.
      await expect(findChromium(options)).resolves.toEqual(found)

      const browser = await chromium.launch({
        executablePath: found.executablePath,
        args: CHROMIUM_ARGS,
        env: { ...process.env, ...found.env }
      })
      try {
        const page = await browser.newPage({ viewport: { width: 480, height: 120 } })
        await page.setContent(
          '<p style="font: 32px sans-serif; margin: 8px">Bundled fonts: Hamburgefonstiv 0123</p>'
        )
        const width = await page.locator('p').evaluate((p) => p.getBoundingClientRect().width)
        expect(width).toBeGreaterThan(100)
        await mkdir(join(REPO_ROOT, 'test-results/screenshots'), { recursive: true })
        await page.screenshot({ path: join(REPO_ROOT, 'test-results/screenshots/bundled-fonts.png') })
      } finally {
        await browser.close()
      }
    }
  )
})
