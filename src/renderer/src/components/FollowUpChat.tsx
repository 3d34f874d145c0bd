/** A short conversation about one image: earlier questions and answers, and a field for the next question. */
import { useState } from 'react'
import type { RefObject } from 'react'
import type { FollowUp } from '../state/queue.ts'
import { displayText } from '../state/queue.ts'
import { Icon } from './Icon.tsx'

export interface FollowUpChatProps {
  readonly imageName: string
  readonly followUps: readonly FollowUp[]
  readonly onAsk: (question: string) => void
  readonly onStop: () => void
  readonly inputRef: RefObject<HTMLTextAreaElement | null>
}

function Answer({ followUp }: { followUp: FollowUp }): React.JSX.Element {
  const text = displayText(followUp.answer)
  if (followUp.status === 'error')
    return <p className="chat__answer chat__answer--error">{followUp.error?.message ?? 'No answer.'}</p>
  return (
    <p className={`chat__answer${followUp.status === 'answering' ? ' chat__answer--streaming' : ''}`}>
      {text === '' ? (followUp.status === 'answering' ? 'Thinking…' : 'Stopped before any text.') : text}
      {followUp.status === 'stopped' && text !== '' ? <span className="chat__note"> (stopped)</span> : null}
    </p>
  )
}

export function FollowUpChat({
  imageName,
  followUps,
  onAsk,
  onStop,
  inputRef
}: FollowUpChatProps): React.JSX.Element {
  const [question, setQuestion] = useState('')
  const answering = followUps.some((f) => f.status === 'answering')
  const submit = (): void => {
    if (question.trim() === '' || answering) return
    onAsk(question)
    setQuestion('')
  }
  return (
    <section className="chat" aria-label={`Questions about ${imageName}`}>
      <h3 className="section-title">Ask about this image</h3>
      {followUps.length > 0 ? (
        <ol className="chat__turns">
          {followUps.map((f) => (
            <li key={f.id} className="chat__turn" data-status={f.status}>
              <p className="chat__question">{f.question}</p>
              <Answer followUp={f} />
            </li>
          ))}
        </ol>
      ) : null}
      <form
        className="chat__form"
        onSubmit={(event) => {
          event.preventDefault()
          submit()
        }}
      >
        <label className="visually-hidden" htmlFor="follow-up-question">
          Question about {imageName}
        </label>
        <textarea
          id="follow-up-question"
          ref={inputRef}
          className="chat__input"
          rows={1}
          placeholder="e.g. What colour is the car?"
          value={question}
          maxLength={2000}
          onChange={(event) => setQuestion(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
              event.preventDefault()
              submit()
            }
          }}
        />
        {answering ? (
          <button type="button" className="button" onClick={onStop}>
            <Icon name="stop" /> Stop
          </button>
        ) : (
          <button type="submit" className="button" disabled={question.trim() === ''}>
            <Icon name="send" /> Ask
          </button>
        )}
      </form>
    </section>
  )
}
