/**
 * Prompt presets: the jobs people bring to a captioner (see docs/ui.md). The text is what the model is asked;
 * SmolVLM follows short, direct instructions best, so each is one plain sentence.
 */
import { KEYWORD_PROMPT } from '../../../shared/keywords.ts'
import { DEFAULT_PROMPT } from '../../../shared/settings.ts'

export interface PromptPreset {
  readonly id: string
  readonly label: string
  readonly prompt: string
  /** Shown as the button's description. */
  readonly hint: string
}

export const PROMPT_PRESETS: readonly PromptPreset[] = [
  {
    id: 'short-caption',
    label: 'Short caption',
    prompt: 'Write a one-sentence caption for this image.',
    hint: 'One sentence, for a photo library or a dataset.'
  },
  {
    id: 'detailed',
    label: 'Detailed',
    prompt: 'Describe this image in detail.',
    hint: 'A full paragraph: objects, people, setting, colours.'
  },
  {
    id: 'alt-text',
    label: 'Alt text',
    prompt:
      'Write alt text for this image: one or two plain sentences for someone who cannot see it. Do not start with "Image of".',
    hint: 'For web pages and documents: what a screen-reader user needs.'
  },
  {
    id: 'read-text',
    label: 'Read the text',
    prompt: 'What text is written in this image? Write it out exactly.',
    hint: 'Signs, labels, screenshots, documents.'
  },
  {
    id: 'tags',
    label: 'Tags',
    // Keyword mode: its answers show as keyword chips and save as tags and keywords (Settings › Keywords).
    prompt: KEYWORD_PROMPT,
    hint: 'Keywords as a clean list: for stock and photo libraries, or training tags.'
  }
]

export function presetById(id: string | null): PromptPreset | undefined {
  return id === null ? undefined : PROMPT_PRESETS.find((preset) => preset.id === id)
}

/** The preset a prompt text matches exactly, if any (the field and the chips stay in agreement). */
export function presetForPrompt(prompt: string): PromptPreset | undefined {
  return PROMPT_PRESETS.find((preset) => preset.prompt === prompt)
}

/** What a job asks: the field's text, or the default question when the field is empty. */
export function effectivePrompt(prompt: string): string {
  return prompt.trim() === '' ? DEFAULT_PROMPT : prompt.trim()
}
