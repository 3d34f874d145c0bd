/**
 * The caption library search behind the search box: asks the host a moment after typing stops, and keeps only
 * the answer to the latest words (an older, slower answer never replaces a newer one).
 */
import { useEffect, useState } from 'react'
import type { LibrarySearchResult, SmolvlmApi } from '../../../shared/api.ts'

export type SearchState =
  | { readonly status: 'idle' }
  | { readonly status: 'searching'; readonly query: string }
  | { readonly status: 'done'; readonly query: string; readonly result: LibrarySearchResult }
  | { readonly status: 'failed'; readonly query: string; readonly message: string }

export const SEARCH_DELAY_MS = 150
export const SEARCH_LIMIT = 100

export function useLibrarySearch(api: SmolvlmApi, query: string): SearchState {
  const [state, setState] = useState<SearchState>({ status: 'idle' })
  const words = query.trim()
  useEffect(() => {
    if (words === '') return
    let live = true
    const timer = setTimeout(() => {
      setState({ status: 'searching', query: words })
      api.library.search(words, SEARCH_LIMIT).then(
        (result) => {
          if (live) setState({ status: 'done', query: words, result })
        },
        (error: unknown) => {
          if (live)
            setState({
              status: 'failed',
              query: words,
              message: error instanceof Error ? error.message : String(error)
            })
        }
      )
    }, SEARCH_DELAY_MS)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [api, words])
  if (words === '') return { status: 'idle' }
  // Until the first answer for these words, show the previous answer as still searching.
  if (state.status !== 'idle' && state.query === words) return state
  return { status: 'searching', query: words }
}
