/**
 * A metadata writer that stops for good just before replacing the image (argv[2]) and prints "ready <temp>":
 * the atomicity test kills it there with SIGKILL.
 */
import { MetadataWriter } from '../../../src/metadata/metadata-writer.ts'

const image = process.argv[2]
if (!image) throw new Error('usage: hanging-writer <image>')
const writer = new MetadataWriter({
  beforeReplace: async (temp) => {
    process.stdout.write(`ready ${temp}\n`)
    await new Promise(() => undefined)
  }
})
await writer.write(image, 'Written by a writer about to be killed.', { mode: 'embedded', policy: 'skip' })
