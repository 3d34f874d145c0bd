import { execFile, spawnSync } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCaptionArgs } from '../../src/cli/caption.ts'
import { imagePath } from '../support/reference.ts'
import { finished, jsonLines, ROOT, runCli, startCli, TINY_MODEL } from './run-cli.ts'

/** The CLI as people script it: folders, npm run from their own folder, JSON results files, Ctrl-C, option checks. */
const fast = ['--model', TINY_MODEL, '--device', 'cpu', '--no-split', '--max-new-tokens', '2']

describe('smolvlm caption, scripted', () => {
  let tmp: string
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'smolvlm-cli-script-'))
    // Others may run the CLI as a different user (the permission test): let them in.
    await chmod(tmp, 0o755)
  })
  afterAll(() => rm(tmp, { recursive: true, force: true }))

  it('takes folders (recursively, images only, in name order) and gives each unusable path its reason', async () => {
    const album = join(tmp, 'album')
    await mkdir(join(album, 'trip/day 2'), { recursive: true })
    await mkdir(join(album, 'folder.jpg'))
    await mkdir(join(album, '.thumbnails'))
    await copyFile(imagePath('images/tiny.png'), join(album, 'img10.png'))
    await copyFile(imagePath('images/tiny.png'), join(album, 'img2.png'))
    await copyFile(imagePath('images/gray.png'), join(album, 'trip/day 2/b.PNG'))
    await copyFile(imagePath('images/tiny.png'), join(album, '.thumbnails/t.png'))
    await writeFile(join(album, 'notes.txt'), 'not an image')
    await symlink('loop-b.png', join(tmp, 'loop-a.png'))
    await symlink('loop-a.png', join(tmp, 'loop-b.png'))
    const long = join(tmp, `${'n'.repeat(300)}.png`)
    const { code, stdout, stderr } = await runCli([
      'caption',
      ...fast,
      '--json',
      album,
      join(tmp, 'missing.png'),
      join(tmp, 'loop-a.png'),
      long
    ])
    expect(code).toBe(1)
    const lines = jsonLines(stdout)
    expect(lines.map((line) => line['image'])).toEqual([
      join(album, 'img2.png'),
      join(album, 'img10.png'),
      join(album, 'trip/day 2/b.PNG'),
      join(tmp, 'missing.png'),
      join(tmp, 'loop-a.png'),
      long
    ])
    expect(lines.slice(0, 3).every((line) => typeof line['text'] === 'string')).toBe(true)
    expect(lines.slice(3).map((line) => line['error'])).toEqual([
      { code: 'bad-image', message: `${join(tmp, 'missing.png')} does not exist.` },
      {
        code: 'bad-image',
        message: `${join(tmp, 'loop-a.png')} is a symlink loop (too many levels of symbolic links).`
      },
      { code: 'bad-image', message: `${long} has a name too long for the file system.` }
    ])
    // Progress goes to stderr, one line per image of the batch.
    expect(stderr.split('\n').filter((line) => /^\[\d+\/6\] /.test(line))).toHaveLength(6)
    expect(stderr).toContain(`[4/6] ${join(tmp, 'missing.png')}\n`)
  })

  it('says which folder holds no images, and that a file cannot be opened for lack of permission', async () => {
    const empty = join(tmp, 'empty')
    await mkdir(empty)
    await writeFile(join(empty, 'readme.txt'), 'x')
    const locked = join(tmp, 'locked.png')
    await copyFile(imagePath('images/tiny.png'), locked)
    await chmod(locked, 0o000)
    // root reads any file: run the CLI as nobody there, so the permission check is real. That needs a checkout
    // nobody can read (a clone inside a 0700 temporary folder is not); without it the permission case is left to
    // tests/engine/image-paths.test.ts and only the empty folder is checked here.
    const root = process.getuid?.() === 0
    const uid = root ? 65534 : undefined
    const nobodyReadsCheckout =
      !root ||
      spawnSync(
        process.execPath,
        ['-e', 'require("fs").accessSync(process.argv[1])', join(ROOT, 'package.json')],
        {
          uid
        }
      ).status === 0
    const inputs = nobodyReadsCheckout ? [empty, locked] : [empty]
    const { code, stdout } = await runCli(['caption', ...fast, '--json', ...inputs], {
      uid: nobodyReadsCheckout ? uid : undefined
    })
    expect(code).toBe(1)
    expect(jsonLines(stdout).map((line) => line['error'])).toEqual([
      {
        code: 'bad-image',
        message: expect.stringMatching(/empty is a folder with no image files in it \(\.jpg, \.png/)
      },
      ...(nobodyReadsCheckout
        ? [{ code: 'bad-image', message: 'locked.png cannot be opened: permission denied.' }]
        : [])
    ])
  })

  it('runs as `npm run -s caption` from the user’s folder: relative images, --model, --dump-inputs and --inputs', async () => {
    const user = join(tmp, 'user')
    await mkdir(join(user, 'photos'), { recursive: true })
    await copyFile(imagePath('images/square.png'), join(user, 'photos/square.png'))
    const model = relative(user, TINY_MODEL)
    const npm = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        // --prefix: the package is found wherever the command is typed; npm sets INIT_CWD to that folder.
        execFile(
          'npm',
          ['--prefix', ROOT, 'run', '-s', 'caption', '--', '--model', model, ...args],
          { cwd: user, env: { ...process.env, SMOLVLM_MODEL: '' } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
        )
      })
    const first = await npm([
      '--device',
      'cpu',
      '--max-new-tokens',
      '3',
      '--json',
      '--dump-inputs',
      'inputs.json',
      'photos'
    ])
    expect(first.code).toBe(0)
    const [result] = jsonLines(first.stdout)
    expect(result['image']).toBe('photos/square.png')
    expect(JSON.parse(await readFile(join(user, 'inputs.json'), 'utf8')).input_ids).toBeInstanceOf(Array)
    const second = await npm([
      '--device',
      'cpu',
      '--max-new-tokens',
      '3',
      '--json',
      '--inputs',
      'inputs.json'
    ])
    expect(second.code).toBe(0)
    expect(jsonLines(second.stdout)[0]['tokenIds']).toEqual(result['tokenIds'])
  })

  it('with --together, reports the unusable paths and describes the rest in one prompt', async () => {
    const images = [imagePath('images/tiny.png'), join(tmp, 'absent.png'), imagePath('images/gray.png')]
    const { code, stdout } = await runCli(['caption', ...fast, '--json', '--together', ...images])
    expect(code).toBe(1)
    const [failed, described] = jsonLines(stdout)
    expect(failed).toEqual({
      image: images[1],
      images: [images[1]],
      error: { code: 'bad-image', message: `${images[1]} does not exist.` }
    })
    expect(described).toMatchObject({ images: [images[0], images[2]], tiles: 2 })
    expect(described['image']).toBeUndefined()
  })

  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const top = await runCli(['--version'])
    expect(top).toMatchObject({ code: 0, stdout: `smolvlm ${version}\n` })
    expect((await runCli(['caption', '--version'])).stdout).toBe(`smolvlm ${version}\n`)
  })

  it('stops a batch on Ctrl-C, exits 130 and says how many images were left', async () => {
    const images = Array.from({ length: 40 }, () => imagePath('images/tiny.png'))
    const child = startCli([
      'caption',
      '--model',
      TINY_MODEL,
      '--device',
      'cpu',
      '--max-new-tokens',
      '64',
      '--json',
      ...images
    ])
    const done = finished(child, 60_000)
    await new Promise<void>((resolve) => {
      let seen = ''
      child.stderr?.on('data', (text: string) => {
        seen += text
        if (seen.includes('[3/40]')) resolve()
      })
    })
    const sent = performance.now()
    child.kill('SIGINT')
    const { code, signal, stdout, stderr } = await done
    const stoppedMs = performance.now() - sent
    expect({ code, signal }).toEqual({ code: 130, signal: null })
    const left = Number(/interrupted; (\d+) of 40 images not described/.exec(stderr)?.[1])
    expect(left).toBeGreaterThanOrEqual(37 - 1)
    // Every line that did reach stdout is whole JSON, and the described ones plus the rest make the batch.
    const described = jsonLines(stdout).filter((line) => line['cancelled'] === false)
    expect(described.length + left).toBe(40)
    // Generous: one image takes well under a second here; a stuck batch would run to the 60 s kill.
    expect(stoppedMs).toBeLessThan(20_000)
  })

  it('warns when --threads is above the core count, and still runs', async () => {
    const threads = availableParallelism() + 1
    const { code, stderr } = await runCli([
      'caption',
      ...fast,
      '--threads',
      String(threads),
      imagePath('images/tiny.png')
    ])
    expect(code).toBe(0)
    expect(stderr).toContain(
      `smolvlm: warning: --threads ${threads} is more than the ${availableParallelism()} cores here`
    )
  })

  it.each([
    [
      ['--max-new-tokens', '1e9'],
      /--max-new-tokens 1000000000 is beyond the model's context: .* 8,192 tokens .*give 1 to 8192\./
    ],
    [
      ['--longest-edge', '32'],
      /--longest-edge 32 is below the model's tile size of 64 px .*give 64 to 8192\./
    ]
  ])('refuses %j for this model before any image runs (exit 2)', async (option, message) => {
    const { code, stdout, stderr } = await runCli([
      'caption',
      ...fast,
      ...option,
      imagePath('images/tiny.png')
    ])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
  })

  it('refuses sampling options without sampling, and out-of-range numbers, naming the allowed range', async () => {
    const { code, stderr } = await runCli([
      'caption',
      ...fast,
      '--top-p',
      '0.9',
      imagePath('images/tiny.png')
    ])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^smolvlm: --top-p needs --temperature/)
    const parse =
      (...args: string[]) =>
      () =>
        parseCaptionArgs(['--model', 'm', ...args, 'x.png'], {})
    expect(parse('--top-k', '5')).toThrow(/--top-k needs --temperature/)
    expect(parse('--seed', '1')).toThrow(/--seed needs --temperature/)
    expect(parse('--greedy', '--seed', '1')).toThrow(/--seed needs --temperature/)
    for (const t of ['1e308', '-1', 'NaN', '0', '', 'Infinity'])
      expect(parse(`--temperature=${t}`)).toThrow(/give a number above 0 and at most 10\.$/)
    expect(parse('--max-new-tokens', '2.5')).toThrow(/--max-new-tokens 2.5 is not valid: give a whole number/)
    expect(parse('--longest-edge', '9000')).toThrow(
      /give a whole number of pixels from the model's tile size to 8192/
    )
    expect(parse('--threads', '0')).toThrow(/--threads 0 is not valid/)
    expect(parse('--repetition-penalty', '1e9')).toThrow(/at most 10/)
    expect(parse('--temperature', '0.7', '--top-p', '1.5')).toThrow(/--top-p 1.5 is not valid/)
    expect(
      parse('--temperature', '0.7', '--top-p', '0.9', '--top-k', '40', '--seed', '7')().request.sampling
    ).toEqual({ kind: 'sample', temperature: 0.7, topP: 0.9, topK: 40, seed: 7 })
  })
})
