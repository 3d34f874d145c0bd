import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chooseElectronDist } from '../../scripts/packaging/dist-dir.js'
import { tempDir } from '../host/support/temp.ts'

/** Which Electron `npm run dist:dir` packages: never one it would have to download. */
describe('npm run dist:dir: the Electron distribution', () => {
  it('takes SMOLVLM_ELECTRON_DIST first', () => {
    const choice = chooseElectronDist({ env: { SMOLVLM_ELECTRON_DIST: 'some/electron' }, platform: 'linux' })
    expect(choice).toEqual({ dir: resolve('some/electron'), standin: false, why: 'SMOLVLM_ELECTRON_DIST' })
  })

  it('else the Electron build npm start uses (ELECTRON_OVERRIDE_DIST_PATH), as a folder', async () => {
    const dist = await tempDir()
    await writeFile(join(dist, 'electron'), '#!/bin/sh\n')
    await chmod(join(dist, 'electron'), 0o755)
    const linux = chooseElectronDist({ env: { ELECTRON_OVERRIDE_DIST_PATH: dist }, platform: 'linux' })
    expect(linux).toMatchObject({ dir: dist, standin: false })

    const mac = await tempDir()
    await mkdir(join(mac, 'Electron.app', 'Contents', 'MacOS'), { recursive: true })
    await writeFile(join(mac, 'Electron.app', 'Contents', 'MacOS', 'Electron'), '')
    expect(
      chooseElectronDist({ env: { ELECTRON_OVERRIDE_DIST_PATH: mac }, platform: 'darwin' })
    ).toMatchObject({
      dir: mac,
      standin: false
    })
  })

  it('else, off Linux, says what to set instead of downloading', async () => {
    const project = await tempDir()
    expect(() => chooseElectronDist({ env: {}, platform: 'darwin', project })).toThrow(
      /no Electron binary \(the electron package is not installed.*set SMOLVLM_ELECTRON_DIST/
    )
  })

  it('else, on Linux, makes the stand-in inside the project', async () => {
    const project = await tempDir()
    const choice = chooseElectronDist({ env: {}, platform: 'linux', project })
    expect(choice.standin).toBe(true)
    expect(choice.dir).toBe(join(project, 'node_modules', '.cache', 'smolvlm-standin-electron'))
    expect(choice.why).toContain('electron package is not installed')
  })
})
