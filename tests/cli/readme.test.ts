import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { imagePath } from '../support/reference.ts'
import { jsonLines, ROOT, TINY_MODEL } from './run-cli.ts'

/** The commands in README's "Command line" block, as written (comments dropped). */
async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Command line'))
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '')
}

function sh(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { cwd, env: { ...process.env, SMOLVLM_MODEL: '' }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
    )
  })
}

describe("README's command-line examples", () => {
  let user: string
  beforeAll(async () => {
    // A folder inside the clone (ignored by git), as a user's own folder: npm finds the package from it.
    await mkdir(join(ROOT, 'tmp'), { recursive: true })
    user = await mkdtemp(join(ROOT, 'tmp', 'readme-cli-'))
    await mkdir(join(user, 'photos/trip'), { recursive: true })
    await copyFile(imagePath('images/exif-rotated.jpg'), join(user, 'photo.jpg'))
    await copyFile(imagePath('images/tiny.png'), join(user, 'photos/a.png'))
    await copyFile(imagePath('images/wide.png'), join(user, 'photos/trip/b.png'))
  })
  afterAll(() => rm(user, { recursive: true, force: true }))

  it('run as written from a user folder, with clean stdout', async () => {
    const commands = await readmeCommands()
    expect(commands.length).toBeGreaterThanOrEqual(3)
    const model = relative(user, TINY_MODEL)
    const hasJq = (await sh('command -v jq', user)).code === 0
    for (const command of commands) {
      // jq is not part of the project: where it is missing, the JSON-lines check below stands in for it.
      if (command.startsWith('jq ') && !hasJq) continue
      const { code, stdout, stderr } = await sh(command.replaceAll('<model-folder>', model), user)
      expect({ command, code, stderr: code === 0 ? '' : stderr }).toEqual({ command, code: 0, stderr: '' })
      expect(stdout).not.toMatch(/^> smolvlm-desktop/m)
      if (command.includes('--json') && !command.includes('>')) jsonLines(stdout)
    }
    const results = jsonLines(await readFile(join(user, 'captions.jsonl'), 'utf8'))
    expect(results.map((r) => r['image'])).toEqual(['photos/a.png', 'photos/trip/b.png'])
  }, 120_000)
})
