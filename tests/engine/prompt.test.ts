import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SmolvlmError } from '../../src/engine/errors.ts'
import {
  countImages,
  expandImageMarkers,
  imagePlaceholder,
  renderChatTemplate
} from '../../src/engine/prompt.ts'
import type { ChatMessage } from '../../src/engine/prompt.ts'

const template: string = JSON.parse(
  readFileSync(new URL('../fixtures/models/tiny-gqa/chat_template.json', import.meta.url), 'utf8')
).chat_template

const oneImage: ChatMessage[] = [
  { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Can you describe this image?' }] }
]

describe('renderChatTemplate', () => {
  it('renders one image and a question as the model card shows', () => {
    expect(renderChatTemplate(template, oneImage)).toBe(
      '<|im_start|>User:<image>Can you describe this image?<end_of_utterance>\nAssistant:'
    )
  })

  it('puts a space after the role when the turn starts with text', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]
    expect(renderChatTemplate(template, messages)).toBe('<|im_start|>User: Hi<end_of_utterance>\nAssistant:')
  })

  it('renders a multi-turn chat with each turn closed by end_of_utterance', () => {
    const messages: ChatMessage[] = [
      ...oneImage,
      { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
      { role: 'user', content: [{ type: 'text', text: 'What colour?' }] }
    ]
    expect(renderChatTemplate(template, messages)).toBe(
      '<|im_start|>User:<image>Can you describe this image?<end_of_utterance>\n' +
        'Assistant: A cat.<end_of_utterance>\nUser: What colour?<end_of_utterance>\nAssistant:'
    )
  })

  it('rejects an empty chat with a bad-request error', () => {
    expect(() => renderChatTemplate(template, [])).toThrow(SmolvlmError)
  })
})

describe('imagePlaceholder', () => {
  it('is the global block alone for a 0x0 grid', () => {
    expect(imagePlaceholder({ rows: 0, cols: 0 }, 2)).toBe(
      '<fake_token_around_image><global-img><image><image><fake_token_around_image>'
    )
  })

  it('lists tiles row-major with a newline per row, then a blank line and the global block', () => {
    expect(imagePlaceholder({ rows: 2, cols: 2 }, 1)).toBe(
      '<fake_token_around_image><row_1_col_1><image><fake_token_around_image><row_1_col_2><image>\n' +
        '<fake_token_around_image><row_2_col_1><image><fake_token_around_image><row_2_col_2><image>\n' +
        '\n<fake_token_around_image><global-img><image><fake_token_around_image>'
    )
  })
})

describe('expandImageMarkers', () => {
  it('expands each marker with its own image grid, in order', () => {
    const text = expandImageMarkers(
      'a<image>b<image>c',
      [
        { rows: 0, cols: 0 },
        { rows: 1, cols: 2 }
      ],
      1
    )
    expect(text).toBe(
      'a<fake_token_around_image><global-img><image><fake_token_around_image>b' +
        '<fake_token_around_image><row_1_col_1><image><fake_token_around_image><row_1_col_2><image>\n' +
        '\n<fake_token_around_image><global-img><image><fake_token_around_image>c'
    )
  })

  it('refuses a prompt whose marker count differs from the image count', () => {
    expect(() => expandImageMarkers('<image>', [], 4)).toThrow(/1 image markers but 0 images/)
  })
})

describe('countImages', () => {
  it('counts image parts across all turns', () => {
    expect(countImages([...oneImage, ...oneImage])).toBe(2)
  })
})
