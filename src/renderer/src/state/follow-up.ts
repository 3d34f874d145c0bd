/**
 * A follow-up question about an image as chat messages: the image with the prompt that made its caption, the
 * caption as the assistant's answer, earlier questions and answers, then the new question. The worker's vision
 * cache (keyed by image and preprocessing) lets the image skip the encoder the second time.
 */
import type { ChatMessage } from '../../../shared/jobs.ts'
import { LIMITS } from '../../../shared/limits.ts'
import type { QueueItem } from './queue.ts'
import { displayText } from './queue.ts'

const text = (value: string) => ({ type: 'text' as const, text: value.slice(0, LIMITS.promptChars) })

/** Earlier turns kept: the first exchange (it holds the image) plus the most recent ones, within the contract. */
const MAX_EARLIER_FOLLOW_UPS = Math.floor((LIMITS.messages - 3) / 2)

export function followUpMessages(item: QueueItem, question: string, defaultPrompt: string): ChatMessage[] {
  const caption = displayText(item.text)
  const answered = item.status === 'done' && caption !== ''
  const messages: ChatMessage[] = []
  if (answered) {
    messages.push(
      { role: 'user', content: [{ type: 'image' }, text(item.prompt ?? defaultPrompt)] },
      { role: 'assistant', content: [text(caption)] }
    )
  }
  const earlier = item.followUps
    .filter((f) => f.status === 'done' && displayText(f.answer) !== '')
    .slice(-MAX_EARLIER_FOLLOW_UPS)
  for (const [index, f] of earlier.entries()) {
    const first = !answered && index === 0
    messages.push(
      { role: 'user', content: first ? [{ type: 'image' }, text(f.question)] : [text(f.question)] },
      { role: 'assistant', content: [text(displayText(f.answer))] }
    )
  }
  const imageYet = messages.length > 0
  messages.push({
    role: 'user',
    content: imageYet ? [text(question)] : [{ type: 'image' }, text(question)]
  })
  return messages
}
