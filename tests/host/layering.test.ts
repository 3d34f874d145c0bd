import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from './support/jobs.ts'

function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file))
}

describe('process boundaries in the source tree', () => {
  it.each(['src/host', 'src/worker', 'src/shared'])(
    '%s does not import electron (it also runs under plain Node)',
    (dir) => {
      const offenders = sources(dir).filter((file) =>
        /from\s+['"]electron['"]/.test(readFileSync(join(REPO_ROOT, file), 'utf8'))
      )
      expect(offenders).toEqual([])
    }
  )

  it('src/shared imports nothing from Node or the engine (the renderer compiles it for the browser)', () => {
    const offenders = sources('src/shared').filter((file) =>
      /from\s+['"](node:|\.\.\/engine|\.\.\/host|\.\.\/worker)/.test(
        readFileSync(join(REPO_ROOT, file), 'utf8')
      )
    )
    expect(offenders).toEqual([])
  })
})
