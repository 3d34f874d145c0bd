/**
 * The question every new caption answers: five presets and a free text field. The text is remembered
 * (settings.prompt, saved shortly after typing stops); the run button queues every image without a caption.
 */
import type { RefObject } from 'react'
import { DEFAULT_PROMPT } from '../../../shared/settings.ts'
import { PROMPT_PRESETS, presetForPrompt } from '../state/prompts.ts'
import { Icon } from './Icon.tsx'

export interface PromptBarProps {
  readonly prompt: string
  readonly onPromptChange: (prompt: string) => void
  readonly onPreset: (presetId: string) => void
  readonly onRun: (again: boolean) => void
  /** Images without a finished caption (what Run describes). */
  readonly undescribed: number
  readonly total: number
  /** Images waiting in a paused queue: the button then resumes. */
  readonly pausedQueued: number
  readonly onResume: () => void
  /** Something is queued or running (then "again" would only re-queue finished images: not offered). */
  readonly busy: boolean
  readonly inputRef: RefObject<HTMLTextAreaElement | null>
  readonly mod: string
}

export function PromptBar({
  prompt,
  onPromptChange,
  onPreset,
  onRun,
  undescribed,
  total,
  pausedQueued,
  onResume,
  busy,
  inputRef,
  mod
}: PromptBarProps): React.JSX.Element {
  const active = presetForPrompt(prompt)
  const again = undescribed === 0 && total > 0
  return (
    <section className="prompt-bar" aria-label="Prompt">
      <div className="prompt-bar__presets" role="group" aria-label="Prompt presets">
        {PROMPT_PRESETS.map((preset, index) => (
          <button
            key={preset.id}
            type="button"
            className="chip"
            aria-pressed={active?.id === preset.id}
            title={`${preset.hint} (Alt+${index + 1})`}
            onClick={() => onPreset(preset.id)}
          >
            {preset.label}
          </button>
        ))}
        {active || prompt.trim() === '' || prompt === DEFAULT_PROMPT ? null : (
          <span className="chip chip--static" title="The prompt below is your own">
            Your prompt
          </span>
        )}
      </div>
      <div className="prompt-bar__row">
        <label className="visually-hidden" htmlFor="prompt-input">
          Prompt
        </label>
        <textarea
          id="prompt-input"
          ref={inputRef}
          className="prompt-bar__input"
          rows={1}
          spellCheck={false}
          maxLength={8192}
          value={prompt}
          placeholder="Can you describe this image?"
          onChange={(event) => onPromptChange(event.target.value)}
          onKeyDown={(event) => {
            // Enter runs (Shift+Enter is a new line), like a chat box.
            if (
              event.key === 'Enter' &&
              !event.shiftKey &&
              !event.ctrlKey &&
              !event.metaKey &&
              !event.altKey
            ) {
              event.preventDefault()
              onRun(false)
            }
          }}
        />
        {pausedQueued > 0 && undescribed === 0 ? (
          <button
            type="button"
            className="button button--primary"
            onClick={onResume}
            title="Resume the queue (P)"
          >
            <Icon name="play" />
            Resume ({pausedQueued.toLocaleString('en-US')} queued)
          </button>
        ) : busy && undescribed === 0 ? (
          <button type="button" className="button button--primary" disabled>
            <Icon name="play" /> Describing…
          </button>
        ) : (
          <button
            type="button"
            className="button button--primary"
            disabled={total === 0}
            onClick={() => onRun(again)}
            title={again ? `Describe every image again (${mod}+Shift+Enter)` : `Describe (${mod}+Enter)`}
          >
            <Icon name={again ? 'redo' : 'play'} />
            {total === 0
              ? 'Describe'
              : again
                ? 'Describe all again'
                : `Describe ${undescribed.toLocaleString('en-US')}`}
          </button>
        )}
      </div>
    </section>
  )
}
