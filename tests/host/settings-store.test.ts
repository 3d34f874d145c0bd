import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SETTINGS_FILE, SettingsStore } from '../../src/host/settings-store.ts'
import { DEFAULT_SETTINGS } from '../../src/shared/contract.ts'
import { tempDir } from './support/temp.ts'

describe('settings store', () => {
  it('starts from the defaults when there is no file', async () => {
    const store = await SettingsStore.open(await tempDir())
    expect(store.get()).toEqual(DEFAULT_SETTINGS)
    expect(store.problems).toEqual([])
  })

  it('saves an update and reads it back', async () => {
    const dir = await tempDir()
    const store = await SettingsStore.open(dir)
    const changed: unknown[] = []
    store.onChange.add((s) => changed.push(s))
    const next = await store.update({
      theme: 'dark',
      maxNewTokens: 64,
      sampling: { kind: 'sample', temperature: 0.7, seed: 1 }
    })
    expect(next).toMatchObject({ theme: 'dark', maxNewTokens: 64, prompt: DEFAULT_SETTINGS.prompt })
    expect(changed).toEqual([next])
    expect((await SettingsStore.open(dir)).get()).toEqual(next)
  })

  it('refuses an invalid patch and keeps the settings as they were', async () => {
    const dir = await tempDir()
    const store = await SettingsStore.open(dir)
    await expect(store.update({ theme: 'neon' })).rejects.toMatchObject({ code: 'invalid-message' })
    await expect(store.update({ evil: true })).rejects.toMatchObject({ code: 'invalid-message' })
    expect(store.get()).toEqual(DEFAULT_SETTINGS)
    expect(await readdir(dir)).toEqual([])
  })

  it('moves a file that is not JSON aside and starts from the defaults', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, SETTINGS_FILE), '{"theme": "dark",')
    const store = await SettingsStore.open(dir)
    expect(store.get()).toEqual(DEFAULT_SETTINGS)
    expect(store.problems[0]).toContain('not valid JSON')
    const files = await readdir(dir)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^settings\.json\.corrupt-/)
    expect(await readFile(join(dir, files[0]), 'utf8')).toBe('{"theme": "dark",')
  })

  it('keeps the valid fields of a damaged file and resets the others', async () => {
    const dir = await tempDir()
    await writeFile(
      join(dir, SETTINGS_FILE),
      JSON.stringify({ theme: 'dark', maxNewTokens: -5, prompt: 42, plugin: 'x' })
    )
    const store = await SettingsStore.open(dir)
    expect(store.get()).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark' })
    expect(store.problems.join(' ')).toContain('maxNewTokens')
    expect(store.problems.join(' ')).toContain('plugin')
  })

  it('writes atomically: after many concurrent updates the file is whole and holds the last state', async () => {
    const dir = await tempDir()
    const store = await SettingsStore.open(dir)
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update({ maxNewTokens: i + 1 })))
    expect(await readdir(dir)).toEqual([SETTINGS_FILE])
    expect(JSON.parse(await readFile(join(dir, SETTINGS_FILE), 'utf8'))).toMatchObject({ maxNewTokens: 20 })
  })
})
