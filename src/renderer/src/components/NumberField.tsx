/**
 * A number setting typed by hand: edited freely, saved when the field is left or Enter is pressed, and only
 * when the value is valid (otherwise the field says why and keeps the saved value).
 */
import { useId, useState } from 'react'

export interface NumberFieldProps {
  readonly label: string
  readonly hint?: string
  /** null: empty (allowed only with `optional`). */
  readonly value: number | null
  readonly onCommit: (value: number | null) => void
  readonly min: number
  readonly max: number
  readonly step?: number
  readonly integer?: boolean
  readonly optional?: boolean
  readonly placeholder?: string
  readonly exclusiveMin?: boolean
}

export function NumberField(props: NumberFieldProps): React.JSX.Element {
  const id = useId()
  const shown = props.value === null ? '' : String(props.value)
  const [draft, setDraft] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const text = draft ?? shown

  const parse = (raw: string): { value: number | null } | { error: string } => {
    const trimmed = raw.trim()
    if (trimmed === '') return props.optional ? { value: null } : { error: 'Enter a number.' }
    const value = Number(trimmed)
    if (!Number.isFinite(value)) return { error: 'Enter a number.' }
    if (props.integer && !Number.isInteger(value)) return { error: 'Enter a whole number.' }
    const low = props.exclusiveMin ? value <= props.min : value < props.min
    if (low || value > props.max)
      return {
        error: `Enter a number ${props.exclusiveMin ? 'above' : 'from'} ${props.min} ${props.exclusiveMin ? 'up ' : ''}to ${props.max}.`
      }
    return { value }
  }

  const commit = (): void => {
    if (draft === null) return
    const result = parse(draft)
    if ('error' in result) {
      setProblem(result.error)
      return
    }
    setProblem(null)
    setDraft(null)
    if (result.value !== props.value) props.onCommit(result.value)
  }

  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type="text"
        inputMode={props.integer ? 'numeric' : 'decimal'}
        className="input input--number"
        value={text}
        placeholder={props.placeholder}
        aria-invalid={problem !== null}
        aria-describedby={`${id}-hint`}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault()
            commit()
          }
        }}
      />
      <p id={`${id}-hint`} className={`field__hint${problem ? ' field__hint--error' : ''}`}>
        {problem ?? props.hint}
      </p>
    </div>
  )
}
