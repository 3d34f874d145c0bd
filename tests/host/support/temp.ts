import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, expect } from 'vitest'

const perTest: string[] = []
const perFile: string[] = []

/** A fresh temp folder: removed after the test that made it, or after the file when made in beforeAll. */
export async function tempDir(prefix = 'smolvlm-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  ;(expect.getState().currentTestName === undefined ? perFile : perTest).push(dir)
  return dir
}

afterEach(async () => {
  for (const dir of perTest.splice(0)) await rm(dir, { recursive: true, force: true })
})

afterAll(async () => {
  for (const dir of perFile.splice(0)) await rm(dir, { recursive: true, force: true })
})
