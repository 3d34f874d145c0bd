/**
 * The list of image cards, virtualised: only the cards in view (plus a few either side) are in the DOM, so a
 * thousand images scroll as smoothly as ten. Every row has the same height, which keeps the arithmetic exact
 * and the list still while captions stream.
 */
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef } from 'react'
import type { SmolvlmApi } from '../../../shared/api.ts'
import type { KeywordOptions } from '../../../shared/keywords.ts'
import type { QueueState } from '../state/queue.ts'
import type { CardActions } from './ImageCard.tsx'
import { ImageCard } from './ImageCard.tsx'

/** Card height plus the gap below it (cards.css keeps the same numbers). */
export const ROW_HEIGHT = 124

export interface CardListProps {
  readonly api: SmolvlmApi
  readonly queue: QueueState
  readonly modelLoading: boolean
  readonly actions: CardActions
  /** Bumped when the keyboard moved the selection: the selected card scrolls into view and takes focus. */
  readonly focusRequest: number
  readonly keywordOptions: KeywordOptions
}

export function CardList({
  api,
  queue,
  modelLoading,
  actions,
  focusRequest,
  keywordOptions
}: CardListProps): React.JSX.Element {
  const scroller = useRef<HTMLDivElement>(null)
  const { order, items, selectedId } = queue
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 4,
    getItemKey: (index) => order[index] ?? index
  })

  useEffect(() => {
    if (focusRequest === 0 || selectedId === null) return
    const index = order.indexOf(selectedId)
    if (index < 0) return
    virtualizer.scrollToIndex(index, { align: 'auto' })
    // The card may only now be rendered: focus it on the next frame.
    const frame = requestAnimationFrame(() => {
      document.getElementById(`card-${selectedId}`)?.focus({ preventScroll: true })
    })
    return () => cancelAnimationFrame(frame)
    // Only a new request moves focus; selection changes by click or by new images must not steal it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusRequest])

  return (
    <div className="card-list" ref={scroller} data-testid="card-list">
      <div
        className="card-list__canvas"
        role="list"
        aria-label={`Images (${order.length})`}
        style={{ height: virtualizer.getTotalSize() }}
      >
        {virtualizer.getVirtualItems().map((row) => {
          const id = order[row.index]!
          const item = items[id]!
          return (
            <div
              key={row.key}
              className="card-list__row"
              role="listitem"
              aria-posinset={row.index + 1}
              aria-setsize={order.length}
              style={{ transform: `translateY(${row.start}px)` }}
            >
              <ImageCard
                api={api}
                item={item}
                selected={id === selectedId}
                modelLoading={modelLoading}
                actions={actions}
                keywordOptions={keywordOptions}
              />
            </div>
          )
        })}
      </div>
    </div>
  )
}
