/**
 * `smolvlm caption --keywords`: the keyword prompt, each answer's keyword list in the JSON line and on the terminal,
 * in metadata keyword fields and as tags in caption files (--write-txt), through the real CLI on the fixture model. The model writes gibberish, so the
 * expected lists are computed from the answer it really wrote (tests/shared/keywords.test.ts specifies the function).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { copyFile, mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import {
  DEFAULT_KEYWORD_OPTIONS,
  KEYWORD_PROMPT,
  keywordTagLine,
  normalizeKeywords
} from '../../src/shared/keywords.ts'
import type { KeywordOptions } from '../../src/shared/keywords.ts'
import { imagePath } from '../support/reference.ts'
import { jsonLines, ROOT, runCli, TINY_MODEL } from './run-cli.ts'

// Five tokens keep the gibberish under the six words a keyword may have, so the answer gives keywords too.
const model = ['--model', TINY_MODEL, '--max-new-tokens', '5', '--no-history']
const CLI_DEFAULTS: KeywordOptions = { ...DEFAULT_KEYWORD_OPTIONS, lowercase: false }

describe('smolvlm caption --keywords', () => {
  let photos: string
  beforeAll(async () => {
    photos = await mkdtemp(join(tmpdir(), 'cli-keywords-'))
    await copyFile(imagePath('images/square.png'), join(photos, 'beach.png'))
    await copyFile(imagePath('images/tiny.png'), join(photos, 'dog.png'))
  })

  it('asks the keyword prompt and puts the keyword list in each JSON line, the raw answer kept', async () => {
    const result = await runCli([
      'caption',
      ...model,
      '--json',
      '--keywords',
      '--include',
      'ohwx, Studio Shot',
      '--max-keywords',
      '3',
      photos
    ])
    expect(result.code).toBe(0)
    const lines = jsonLines(result.stdout)
    expect(lines.map((line) => line['image'])).toEqual([join(photos, 'beach.png'), join(photos, 'dog.png')])
    for (const line of lines) {
      expect(line['prompt']).toBe(KEYWORD_PROMPT)
      const keywords = normalizeKeywords(line['text'] as string, {
        ...CLI_DEFAULTS,
        maxCount: 3,
        include: ['ohwx', 'Studio Shot']
      })
      expect(keywords.slice(0, 2)).toEqual(['ohwx', 'Studio Shot'])
      expect(line['keywords']).toEqual(keywords)
    }
  })

  it('lowercases and excludes when asked, and keeps a prompt given with --prompt', async () => {
    const prompt = 'Tags for this picture, comma-separated.'
    const result = await runCli([
      'caption',
      ...model,
      '--json',
      '--keywords',
      '--prompt',
      prompt,
      '--lowercase',
      '--include',
      'Studio Shot,OHWX',
      '--exclude',
      'ohwx',
      join(photos, 'dog.png')
    ])
    expect(result.code).toBe(0)
    const [line] = jsonLines(result.stdout)
    expect(line!['prompt']).toBe(prompt)
    const options = { ...CLI_DEFAULTS, lowercase: true, include: ['Studio Shot', 'OHWX'], exclude: ['ohwx'] }
    expect(line!['keywords']).toEqual(normalizeKeywords(line!['text'] as string, options))
    // Always-include wins over exclude; lowercase applies to it as well.
    expect((line!['keywords'] as string[]).slice(0, 2)).toEqual(['studio shot', 'ohwx'])
  })

  it('prints a keywords: line after the streamed answer on the terminal', async () => {
    const json = jsonLines(
      (
        await runCli([
          'caption',
          ...model,
          '--json',
          '--keywords',
          '--include',
          'ohwx',
          join(photos, 'beach.png')
        ])
      ).stdout
    )[0]!
    const result = await runCli([
      'caption',
      ...model,
      '--keywords',
      '--include',
      'ohwx',
      join(photos, 'beach.png')
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      `${join(photos, 'beach.png')}:\n${json['text'] as string}\nkeywords: ${(json['keywords'] as string[]).join(', ')}\n`
    )
  })

  it('gives no keywords field without --keywords', async () => {
    const result = await runCli(['caption', ...model, '--json', join(photos, 'beach.png')])
    expect(jsonLines(result.stdout)[0]).not.toHaveProperty('keywords')
  })

  it('writes the keyword list into XMP dc:subject by default, and never over existing keywords under skip', async () => {
    const image = join(photos, 'beach.png')
    const args = [
      'caption',
      ...model,
      '--json',
      '--keywords',
      '--include',
      'ohwx',
      '--write-metadata',
      'xmp',
      image
    ]
    const first = jsonLines((await runCli(args)).stdout)[0]!
    expect(first['metadata']).toMatchObject({ file: `${image}.xmp`, outcome: 'written' })
    const writer = new MetadataWriter()
    try {
      const held = await writer.read(image, 'darktable')
      expect(held.keywords).toEqual(first['keywords'])
      expect(held.description).toBeNull()
      const again = jsonLines(
        (await runCli([...args.slice(0, -1), '--include', 'another', image])).stdout
      )[0]!
      expect(again['metadata']).toMatchObject({
        outcome: 'skipped',
        reason: 'it already has keywords (policy: skip)'
      })
      await expect(writer.read(image, 'darktable')).resolves.toMatchObject({ keywords: first['keywords'] })
    } finally {
      await writer.close()
    }
  })

  it('writes caption files as tags with --write-txt: trigger word first, underscores when asked, kept under skip', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cli-keywords-txt-'))
    const image = join(folder, 'beach.png')
    await copyFile(imagePath('images/square.png'), image)
    const args = ['caption', ...model, '--json', '--keywords', '--include', 'Studio Shot', '--write-txt']
    const first = jsonLines(
      (await runCli([...args, '--trigger-word', 'sks', '--underscores', image])).stdout
    )[0]!
    expect(first['captionFile']).toEqual({ file: 'beach.txt', outcome: 'written', reason: null })
    const tags = keywordTagLine(first['keywords'] as string[], { underscores: true }, 'sks')
    expect(tags.startsWith('sks, Studio_Shot')).toBe(true)
    await expect(readFile(join(folder, 'beach.txt'), 'utf8')).resolves.toBe(`${tags}\n`)

    const again = jsonLines((await runCli([...args, image])).stdout)[0]!
    expect(again['captionFile']).toEqual({
      file: 'beach.txt',
      outcome: 'skipped',
      reason: 'beach.txt already exists (policy: skip).'
    })
    await expect(readFile(join(folder, 'beach.txt'), 'utf8')).resolves.toBe(`${tags}\n`)

    const appended = jsonLines((await runCli([...args, '--txt-policy', 'append', image])).stdout)[0]!
    expect(appended['captionFile']).toMatchObject({ outcome: 'appended' })
    const plain = keywordTagLine(appended['keywords'] as string[], { underscores: false })
    await expect(readFile(join(folder, 'beach.txt'), 'utf8')).resolves.toBe(`${tags}\n${plain}\n`)
  })

  it('writes the plain caption with --write-txt without --keywords', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cli-txt-'))
    const image = join(folder, 'dog.png')
    await copyFile(imagePath('images/tiny.png'), image)
    const result = await runCli([
      'caption',
      ...model,
      '--write-txt',
      '--trigger-word',
      'sks',
      '--json',
      image
    ])
    const [line] = jsonLines(result.stdout)
    expect(line).not.toHaveProperty('keywords')
    await expect(readFile(join(folder, 'dog.txt'), 'utf8')).resolves.toBe(`sks, ${line!['text'] as string}\n`)
  })

  it('on a terminal (both streams in one), the caption line ends before the note of its caption file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cli-txt-'))
    const image = join(folder, 'dog.png')
    await copyFile(imagePath('images/tiny.png'), image)
    const merged = join(folder, 'terminal.log')
    const fd = openSync(merged, 'w')
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/index.ts', 'caption', ...model, '--write-txt', image],
        {
          cwd: ROOT,
          env: { ...process.env, SMOLVLM_MODEL: '' },
          stdio: ['ignore', fd, fd]
        }
      )
      await new Promise((resolve) => child.on('close', resolve))
    } finally {
      closeSync(fd)
    }
    const lines = (await readFile(merged, 'utf8')).split('\n')
    const caption = await readFile(join(folder, 'dog.txt'), 'utf8')
    expect(lines).toContain(caption.trimEnd())
    expect(lines).toContain('smolvlm: caption file: written dog.txt')
  })

  it('refuses the keyword options without --keywords, and a count out of range', async () => {
    const underscores = await runCli(['caption', ...model, '--write-txt', '--underscores', photos])
    expect(underscores.code).toBe(2)
    expect(underscores.stderr).toContain('--underscores needs --keywords.')
    const policy = await runCli(['caption', ...model, '--txt-policy', 'append', photos])
    expect(policy.code).toBe(2)
    expect(policy.stderr).toContain('--txt-policy needs --write-txt.')
    const lone = await runCli(['caption', ...model, '--max-keywords', '5', photos])
    expect(lone.code).toBe(2)
    expect(lone.stderr).toContain('--max-keywords needs --keywords.')
    const zero = await runCli(['caption', ...model, '--keywords', '--max-keywords', '0', photos])
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain('--max-keywords 0 is not valid: give a whole number from 1 to 200.')
  })
})
