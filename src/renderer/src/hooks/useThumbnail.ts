/**
 * Thumbnails by image id: fetched when a card first shows (the list is virtualised, so only visible cards ask),
 * a few at a time, and the most recent ones kept, so scrolling back shows them at once without holding tens of
 * megabytes of data URLs for a list of thousands.
 */
import { useEffect, useState } from 'react'
import type { SmolvlmApi, Thumbnail } from '../../../shared/api.ts'

type Entry = { state: 'ready'; thumbnail: Thumbnail } | { state: 'failed' }

const cache = new Map<string, Entry>()
const inflight = new Map<string, Promise<Entry>>()
const waiting: (() => void)[] = []
let active = 0
const PARALLEL = 4
const KEEP = 600

function remember(id: string, entry: Entry): void {
  cache.delete(id)
  cache.set(id, entry)
  while (cache.size > KEEP) cache.delete(cache.keys().next().value as string)
}

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (active >= PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve))
  active++
  try {
    return await work()
  } finally {
    active--
    waiting.shift()?.()
  }
}

function fetchThumbnail(api: SmolvlmApi, id: string): Promise<Entry> {
  const known = inflight.get(id)
  if (known) return known
  const promise = withSlot(() => api.images.thumbnail(id)).then(
    (thumbnail): Entry => ({ state: 'ready', thumbnail }),
    (): Entry => ({ state: 'failed' })
  )
  inflight.set(id, promise)
  void promise.then((entry) => {
    remember(id, entry)
    inflight.delete(id)
  })
  return promise
}

export type ThumbnailState = { state: 'loading' } | Entry

export function useThumbnail(api: SmolvlmApi, id: string): ThumbnailState {
  const [fetched, setFetched] = useState<{ id: string; entry: Entry } | null>(null)
  const cached = cache.get(id)
  useEffect(() => {
    if (cache.has(id)) return
    let live = true
    void fetchThumbnail(api, id).then((entry) => {
      if (live) setFetched({ id, entry })
    })
    return () => {
      live = false
    }
  }, [api, id])
  if (cached) return cached
  if (fetched && fetched.id === id) return fetched.entry
  return { state: 'loading' }
}
