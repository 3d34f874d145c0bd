import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from './support/jobs.ts'

/** The rooms of src/ whose import arrows are checked: engine ← store/library/metadata ← host/cli. */
const KEEPING_ROOMS = ['src/store', 'src/library', 'src/metadata'].filter((dir) =>
  existsSync(join(REPO_ROOT, dir))
)

function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.tsx?$/.test(file))
    .map((file) => join(dir, file))
}

/** The src/ folders a file imports from (relative imports resolved), e.g. 'src/engine'. */
function importedRooms(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
  const rooms = new Set<string>()
  for (const match of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
    const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), match[1]!))
    const [top, room] = target.split('/')
    if (top === 'src' && room) rooms.add(`src/${room}`)
  }
  return [...rooms]
}

describe('rooms: the import arrows point one way', () => {
  it('the engine imports nothing of what the app keeps (models, captions, metadata) nor of the app', () => {
    const offenders = sources('src/engine').flatMap((file) =>
      importedRooms(file)
        .filter((room) => room !== 'src/engine' && room !== 'src/shared')
        .map((room) => `${file} → ${room}`)
    )
    expect(offenders).toEqual([])
  })

  it.each(KEEPING_ROOMS)('%s imports only the engine and the shared contract', (dir) => {
    const offenders = sources(dir).flatMap((file) =>
      importedRooms(file)
        .filter((room) => room !== dir && room !== 'src/engine' && room !== 'src/shared')
        .map((room) => `${file} → ${room}`)
    )
    expect(offenders).toEqual([])
  })

  it.each(KEEPING_ROOMS)('%s does not import electron', (dir) => {
    const offenders = sources(dir).filter((file) =>
      /from\s+['"]electron['"]/.test(readFileSync(join(REPO_ROOT, file), 'utf8'))
    )
    expect(offenders).toEqual([])
  })

  it('no keeping room is imported by the renderer or the preload (they talk to the host only)', () => {
    const offenders = ['src/renderer', 'src/preload'].flatMap((dir) =>
      sources(dir).flatMap((file) =>
        importedRooms(file)
          .filter((room) => KEEPING_ROOMS.includes(room) || room === 'src/engine')
          .map((room) => `${file} → ${room}`)
      )
    )
    expect(offenders).toEqual([])
  })

  it('src/watch (watch folders) imports only the engine, the library and the shared contract, and no electron', () => {
    const allowed = ['src/watch', 'src/engine', 'src/library', 'src/shared']
    const offenders = sources('src/watch').flatMap((file) => [
      ...importedRooms(file)
        .filter((room) => !allowed.includes(room))
        .map((room) => `${file} → ${room}`),
      ...(/from\s+['"]electron['"]/.test(readFileSync(join(REPO_ROOT, file), 'utf8'))
        ? [`${file} → electron`]
        : [])
    ])
    expect(sources('src/watch').length).toBeGreaterThan(0)
    expect(offenders).toEqual([])
  })
})
