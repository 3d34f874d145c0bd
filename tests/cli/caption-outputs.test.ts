/**
 * CaptionOutputs' caption files (--write-txt) across the images of one run: two images that map to one .txt
 * (photo.jpg and photo.png, a RAW+JPEG pair) never overwrite or append to each other's file.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CaptionOutputs } from '../../src/cli/caption-outputs.ts'
import type { FinishedCaption } from '../../src/cli/caption-outputs.ts'

const caption = (image: string, text: string): FinishedCaption => ({
  image,
  prompt: 'Describe this image.',
  text,
  model: 'test/model',
  variant: 'fp32',
  device: 'cpu'
})

describe('caption files of one run', () => {
  it('skips a second image whose caption file the first one wrote, even under overwrite', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'caption-outputs-'))
    await writeFile(join(folder, 'photo.txt'), 'an older caption\n')
    const outputs = new CaptionOutputs({
      metadata: null,
      captionFile: { policy: 'overwrite', triggerWord: '', underscores: false },
      history: false,
      warn: () => undefined
    })
    try {
      const first = await outputs.finished(caption(join(folder, 'photo.nef'), 'a red barn'))
      expect(first.captionFile).toEqual({ file: 'photo.txt', outcome: 'overwritten', reason: null })
      const second = await outputs.finished(caption(join(folder, 'photo.jpg'), 'a blue barn'))
      expect(second.captionFile).toEqual({
        file: 'photo.txt',
        outcome: 'skipped',
        reason: 'photo.nef in this run already writes photo.txt.'
      })
      await expect(readFile(join(folder, 'photo.txt'), 'utf8')).resolves.toBe('a red barn\n')
    } finally {
      await outputs.close()
    }
  })

  it('lets the same image write its caption file again (a watched file described after a change)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'caption-outputs-'))
    const outputs = new CaptionOutputs({
      metadata: null,
      captionFile: { policy: 'overwrite', triggerWord: '', underscores: false },
      history: false,
      warn: () => undefined
    })
    try {
      await outputs.finished(caption(join(folder, 'photo.jpg'), 'a red barn'))
      const again = await outputs.finished(caption(join(folder, 'photo.jpg'), 'a blue barn'))
      expect(again.captionFile).toEqual({ file: 'photo.txt', outcome: 'overwritten', reason: null })
      await expect(readFile(join(folder, 'photo.txt'), 'utf8')).resolves.toBe('a blue barn\n')
    } finally {
      await outputs.close()
    }
  })
})
