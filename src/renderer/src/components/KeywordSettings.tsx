/**
 * Settings › Keywords: how the Tags preset's answer becomes a keyword list (src/shared/keywords.ts). Lists are
 * typed as "dog, hot dog" and saved when the field is left or Enter is pressed, like the number fields.
 */
import { useId, useState } from 'react'
import type { KeywordOptions } from '../../../shared/keywords.ts'
import { KEYWORD_LIMITS, parseKeywordList } from '../../../shared/keywords.ts'
import { NumberField } from './NumberField.tsx'

function KeywordListField({
  label,
  hint,
  value,
  onCommit
}: {
  label: string
  hint: string
  value: readonly string[]
  onCommit: (entries: string[]) => void
}): React.JSX.Element {
  const id = useId()
  const shown = value.join(', ')
  const [draft, setDraft] = useState<string | null>(null)
  const commit = (): void => {
    if (draft === null) return
    const entries = parseKeywordList(draft)
    setDraft(null)
    if (entries.join(', ') !== shown) onCommit(entries)
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        value={draft ?? shown}
        placeholder="none"
        aria-describedby={`${id}-hint`}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') commit()
        }}
      />
      <p className="field__hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  )
}

export function KeywordSettings({
  options,
  onChange
}: {
  options: KeywordOptions
  onChange: (options: KeywordOptions) => void
}): React.JSX.Element {
  return (
    <fieldset className="settings__section">
      <legend>Keywords</legend>
      <p className="field__hint">
        The Tags preset&apos;s answer becomes a keyword list: split at commas, cleaned, repeats removed. It is
        shown as chips, saved as tags in caption files, as a list in CSV / JSON Lines, and as keywords in
        metadata.
      </p>
      <NumberField
        label="Most keywords"
        hint="The always-include keywords count towards it."
        value={options.maxCount}
        min={1}
        max={KEYWORD_LIMITS.maxCount}
        integer
        onCommit={(value) => onChange({ ...options, maxCount: value ?? options.maxCount })}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={options.lowercase}
          onChange={(event) => onChange({ ...options, lowercase: event.target.checked })}
        />
        <span>
          <strong>Lowercase</strong>
          <span className="field__hint">
            &quot;Golden Retriever&quot; becomes &quot;golden retriever&quot;.
          </span>
        </span>
      </label>
      <KeywordListField
        label="Never use these keywords"
        hint="Separated by commas. A whole keyword, any case: excluding dog keeps hot dog."
        value={options.exclude}
        onCommit={(exclude) => onChange({ ...options, exclude })}
      />
      <KeywordListField
        label="Always include these keywords"
        hint="Separated by commas; they come first, in this order."
        value={options.include}
        onCommit={(include) => onChange({ ...options, include })}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={options.underscores}
          onChange={(event) => onChange({ ...options, underscores: event.target.checked })}
        />
        <span>
          <strong>Underscores in caption files</strong>
          <span className="field__hint">
            Booru-style tags in .txt files: &quot;long hair&quot; is written &quot;long_hair&quot;.
          </span>
        </span>
      </label>
    </fieldset>
  )
}
