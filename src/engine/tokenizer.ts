import { Tokenizer } from '@huggingface/tokenizers'
import { SmolvlmError } from './errors.ts'

/** The model's tokenizer (tokenizer.json + tokenizer_config.json) and the ids the engine looks up by name. */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer
  private readonly config: Readonly<Record<string, unknown>>

  constructor(tokenizerJson: object, tokenizerConfig: Readonly<Record<string, unknown>>) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig)
    this.config = tokenizerConfig
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    // The library refuses an empty list; a cancelled generation can end with none.
    if (ids.length === 0) return ''
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens })
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token)
  }

  requireTokenId(token: string): number {
    const id = this.tokenId(token)
    if (id === undefined) {
      throw new SmolvlmError('model-corrupt', `The model's tokenizer has no ${token} token.`)
    }
    return id
  }

  /** Special token strings from tokenizer_config.json (bos_token, eos_token, ...) for the chat template. */
  specialTokens(): Record<string, string> {
    const result: Record<string, string> = {}
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const value = this.config[key]
      if (typeof value === 'string') result[key] = value
      else if (
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { content?: unknown }).content === 'string'
      ) {
        result[key] = (value as { content: string }).content
      }
    }
    return result
  }
}

const REPLACEMENT_CHARACTER = '\uFFFD'

/**
 * Turns a growing list of generated ids into text deltas. The deltas concatenate to exactly the decode of all ids
 * (less the leading whitespace: answers start with a space token, " The", that no reader wants), arrive as soon as a
 * token completes a printable piece, and never split a UTF-8 character: byte-level tokens that end mid-character
 * decode to U+FFFD, so such a tail is held back until the character completes.
 */
export class TextStreamDecoder {
  private readonly ids: number[] = []
  private emitted = ''

  constructor(private readonly tokenizer: TextTokenizer) {}

  /** Adds one id; returns the newly printable text ('' when nothing new is printable yet). */
  push(id: number): string {
    this.ids.push(id)
    const text = this.decoded()
    if (text.endsWith(REPLACEMENT_CHARACTER) || !text.startsWith(this.emitted)) return ''
    const delta = text.slice(this.emitted.length)
    this.emitted = text
    return delta
  }

  /** The text not yet emitted (at the end of generation, even an incomplete character). */
  flush(): string {
    const text = this.decoded()
    const delta = text.startsWith(this.emitted) ? text.slice(this.emitted.length) : ''
    this.emitted += delta
    return delta
  }

  private decoded(): string {
    return this.tokenizer.decode(this.ids).trimStart()
  }

  get text(): string {
    return this.emitted
  }
}
