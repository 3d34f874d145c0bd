import { Template } from '@huggingface/jinja'
import { SmolvlmError } from './errors.ts'

export type ChatContent = { readonly type: 'text'; readonly text: string } | { readonly type: 'image' }

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant'
  readonly content: readonly ChatContent[]
}

/** Rows and columns of tiles an image was split into; 0×0 means one global frame only (no splitting). */
export interface TileGrid {
  readonly rows: number
  readonly cols: number
}

/** The literal marker strings of the Idefics3 processor (they are tokens of the model's own vocabulary). */
export const IMAGE_MARKERS = {
  image: '<image>',
  fakeAroundImage: '<fake_token_around_image>',
  globalImage: '<global-img>'
} as const

export function countImages(messages: readonly ChatMessage[]): number {
  let count = 0
  for (const message of messages) for (const part of message.content) if (part.type === 'image') count++
  return count
}

/** Renders the model's own chat template (Jinja) the way transformers' apply_chat_template does. */
export function renderChatTemplate(
  template: string,
  messages: readonly ChatMessage[],
  specialTokens: Readonly<Record<string, string>> = {},
  addGenerationPrompt = true
): string {
  if (messages.length === 0) throw new SmolvlmError('bad-request', 'A prompt needs at least one message.')
  for (const message of messages) {
    if (message.content.length === 0) {
      throw new SmolvlmError('bad-request', `A ${message.role} message has no content.`)
    }
  }
  try {
    return new Template(template).render({
      ...specialTokens,
      messages,
      add_generation_prompt: addGenerationPrompt
    })
  } catch (cause) {
    throw new SmolvlmError('model-corrupt', `The model's chat template failed to render: ${String(cause)}`, {
      cause
    })
  }
}

/**
 * The text that replaces one `<image>` marker: per tile a fake token, its row/col tag and imageSeqLen image tokens,
 * a newline after each row, then the global frame framed by fake tokens (Idefics3Processor's prompt layout).
 */
export function imagePlaceholder(grid: TileGrid, imageSeqLen: number): string {
  const { image, fakeAroundImage, globalImage } = IMAGE_MARKERS
  const imageTokens = image.repeat(imageSeqLen)
  const globalBlock = `${fakeAroundImage}${globalImage}${imageTokens}${fakeAroundImage}`
  if (grid.rows === 0 && grid.cols === 0) return globalBlock
  let text = ''
  for (let r = 1; r <= grid.rows; r++) {
    for (let c = 1; c <= grid.cols; c++) text += `${fakeAroundImage}<row_${r}_col_${c}>${imageTokens}`
    text += '\n'
  }
  return `${text}\n${globalBlock}`
}

/** Replaces the i-th `<image>` marker of a rendered prompt with the placeholder for the i-th image's grid. */
export function expandImageMarkers(prompt: string, grids: readonly TileGrid[], imageSeqLen: number): string {
  const pieces = prompt.split(IMAGE_MARKERS.image)
  if (pieces.length - 1 !== grids.length) {
    throw new SmolvlmError(
      'bad-request',
      `The prompt has ${pieces.length - 1} image markers but ${grids.length} images were given.`
    )
  }
  let text = pieces[0]
  for (let i = 0; i < grids.length; i++) text += imagePlaceholder(grids[i], imageSeqLen) + pieces[i + 1]
  return text
}
