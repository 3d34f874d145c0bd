import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../src/host/atomic-write.ts'
import { csvField, resolveRows, toCsv, toJsonl, writeExport } from '../../src/host/export-files.ts'
import { FileBroker } from '../../src/host/file-broker.ts'
import { sidecarPath, withTriggerWord, writeSidecars } from '../../src/host/sidecars.ts'
import { image } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

const brokers: FileBroker[] = []
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close()
})

/** A folder with photo.png (its caption file may already exist) granted to a fresh broker. */
async function photoFolder(existing?: string) {
  const dir = await tempDir()
  await copyFile(image('square.png'), join(dir, 'photo.png'))
  if (existing !== undefined) await writeFile(join(dir, 'photo.txt'), existing)
  const broker = new FileBroker()
  brokers.push(broker)
  const [ref] = await broker.grantPaths([join(dir, 'photo.png')], 'drop')
  const caption = async () => readFile(join(dir, 'photo.txt'), 'utf8')
  return { dir, broker, id: ref.id, caption }
}

describe('sidecar caption files', () => {
  it('names the caption file after the image, in its folder', () => {
    expect(sidecarPath('/data/set/photo 1.jpeg')).toBe('/data/set/photo 1.txt')
  })

  it('writes a new file under every policy when none exists', async () => {
    for (const policy of ['skip', 'overwrite', 'append', 'prefix'] as const) {
      const f = await photoFolder()
      const [report] = await writeSidecars(f.broker, [{ imageId: f.id, text: ' a cat \n' }], policy)
      expect(report).toEqual({ imageId: f.id, file: 'photo.txt', outcome: 'written', reason: null })
      expect(await f.caption()).toBe('a cat\n')
    }
  })

  it('skip leaves an existing file alone and says so', async () => {
    const f = await photoFolder('old caption\n')
    const [report] = await writeSidecars(f.broker, [{ imageId: f.id, text: 'a cat' }], 'skip')
    expect(report.outcome).toBe('skipped')
    expect(report.reason).toContain('already exists')
    expect(await f.caption()).toBe('old caption\n')
  })

  it('overwrite replaces an existing file and reports "overwritten"', async () => {
    const f = await photoFolder('old caption\n')
    const [report] = await writeSidecars(f.broker, [{ imageId: f.id, text: 'a cat' }], 'overwrite')
    expect(report.outcome).toBe('overwritten')
    expect(await f.caption()).toBe('a cat\n')
  })

  it('append adds the caption on a new line after the existing text', async () => {
    const f = await photoFolder('old caption\n\n')
    const [report] = await writeSidecars(f.broker, [{ imageId: f.id, text: 'a cat' }], 'append')
    expect(report.outcome).toBe('appended')
    expect(await f.caption()).toBe('old caption\na cat\n')
  })

  it('prefix puts the caption on a line before the existing text', async () => {
    const f = await photoFolder('old caption')
    const [report] = await writeSidecars(f.broker, [{ imageId: f.id, text: 'a cat' }], 'prefix')
    expect(report.outcome).toBe('prefixed')
    expect(await f.caption()).toBe('a cat\nold caption\n')
  })

  it('puts the trigger word first, once', async () => {
    expect(withTriggerWord('a cat', 'ohwx')).toBe('ohwx, a cat')
    expect(withTriggerWord('ohwx, a cat', 'ohwx')).toBe('ohwx, a cat')
    expect(withTriggerWord('a cat', '  ')).toBe('a cat')
    const f = await photoFolder()
    await writeSidecars(f.broker, [{ imageId: f.id, text: 'a cat' }], 'overwrite', 'ohwx')
    expect(await f.caption()).toBe('ohwx, a cat\n')
  })

  it('does not let two images of a batch write the same caption file', async () => {
    const f = await photoFolder()
    await copyFile(image('large.jpg'), join(f.dir, 'photo.jpg'))
    const [other] = await f.broker.grantPaths([join(f.dir, 'photo.jpg')], 'drop')
    const reports = await writeSidecars(
      f.broker,
      [
        { imageId: f.id, text: 'first' },
        { imageId: other.id, text: 'second' }
      ],
      'overwrite'
    )
    expect(reports.map((r) => r.outcome)).toEqual(['written', 'skipped'])
    expect(reports[1].reason).toContain('photo.png')
    expect(await f.caption()).toBe('first\n')
  })

  it('reports per item: unknown ids and pasted images fail, the rest are written', async () => {
    const f = await photoFolder()
    const pasted = await f.broker.grantBytes('clip.png', await readFile(image('square.png')))
    const reports = await writeSidecars(
      f.broker,
      [
        { imageId: 'never-granted', text: 'x' },
        { imageId: pasted.id, text: 'y' },
        { imageId: f.id, text: 'z' }
      ],
      'skip'
    )
    expect(reports.map((r) => r.outcome)).toEqual(['failed', 'failed', 'written'])
    expect(reports[0].reason).toContain('was not given to the app')
    expect(reports[1].reason).toContain('pasted')
  })

  it('reports a file it cannot write as failed and goes on with the others', async () => {
    const f = await photoFolder()
    await mkdir(join(f.dir, 'photo.txt'))
    const [report] = await writeSidecars(f.broker, [{ imageId: f.id, text: 'x' }], 'overwrite')
    expect(report.outcome).toBe('failed')
  })
})

describe('atomic writes', () => {
  it('leaves neither a partial file nor a temp file when the final step fails', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'target.csv'))
    await expect(writeFileAtomic(join(dir, 'target.csv'), 'data')).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['target.csv'])
  })

  it('in create mode refuses to replace an existing file', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'a.txt'), 'mine')
    await expect(writeFileAtomic(join(dir, 'a.txt'), 'theirs', 'create')).rejects.toMatchObject({
      code: 'EEXIST'
    })
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('mine')
    expect(await readdir(dir)).toEqual(['a.txt'])
  })
})

describe('CSV and JSONL export', () => {
  const row = {
    imageId: 'x',
    image: 'a.png',
    path: '/p/a.png',
    text: 'a cat',
    modelId: 'smolvlm-256m',
    generatedTokens: 3
  }

  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a, b')).toBe('"a, b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField(undefined)).toBe('')
    expect(csvField(3.5)).toBe('3.5')
  })

  it('keeps a caption from running as a spreadsheet formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"')
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)")
  })

  it('writes a header and one CRLF-terminated line per row', () => {
    const csv = toCsv([row, { ...row, image: 'b,c.png', text: 'line one\nline two' }])
    expect(csv).toBe(
      'image,path,caption,prompt,model,variant,provider,generated_tokens,tokens_per_second,total_ms,cancelled,keywords\r\n' +
        'a.png,/p/a.png,a cat,,smolvlm-256m,,,3,,,,\r\n' +
        '"b,c.png",/p/a.png,"line one\nline two",,smolvlm-256m,,,3,,,,\r\n'
    )
  })

  it('writes a keyword list as a JSON array in one CSV cell, and as a real array in JSON Lines', () => {
    const tagged = { ...row, text: 'Dog, red ball.', keywords: ['dog', 'red ball', 'say "hi"'] }
    expect(toCsv([tagged]).split('\r\n')[1]).toBe(
      'a.png,/p/a.png,"Dog, red ball.",,smolvlm-256m,,,3,,,,"[""dog"",""red ball"",""say \\""hi\\""""]"'
    )
    expect(JSON.parse(toJsonl([tagged]))).toMatchObject({
      caption: 'Dog, red ball.',
      keywords: ['dog', 'red ball', 'say "hi"']
    })
    expect(JSON.parse(toJsonl([row]))).not.toHaveProperty('keywords')
  })

  it('writes JSON Lines that read back exactly', () => {
    const text = toJsonl([row, { ...row, text: 'quote " and \n newline, ünïcode' }])
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({
      image: 'a.png',
      caption: 'quote " and \n newline, ünïcode',
      generatedTokens: 3
    })
  })

  it('resolves image ids through the broker and refuses ids it never granted', async () => {
    const f = await photoFolder()
    const rows = resolveRows(f.broker, [{ imageId: f.id, text: 'a cat' }])
    expect(rows[0]).toMatchObject({ image: 'photo.png', path: join(f.dir, 'photo.png') })
    expect(() => resolveRows(f.broker, [{ imageId: 'nope', text: '' }])).toThrowError(
      expect.objectContaining({ code: 'not-granted' })
    )
  })

  it('writes the export file whole', async () => {
    const dir = await tempDir()
    await writeExport(join(dir, 'out.jsonl'), 'jsonl', [row])
    expect(await readdir(dir)).toEqual(['out.jsonl'])
    expect(JSON.parse(await readFile(join(dir, 'out.jsonl'), 'utf8'))).toMatchObject({ caption: 'a cat' })
  })
})
