/**
 * An event stream that keeps what arrives while nobody listens and hands it to the first subscriber. The preload
 * uses it for `images-added`: images the app was asked to open at launch ("Open with", a second launch) arrive as
 * soon as the page has loaded, which can be before the page's image list has subscribed.
 */
export interface HeldEvents<T> {
  push(value: T): void
  subscribe(callback: (value: T) => void): () => void
}

export function holdUntilSubscribed<T>(limit = 100): HeldEvents<T> {
  const held: T[] = []
  const callbacks = new Set<(value: T) => void>()
  return {
    push(value) {
      if (callbacks.size === 0) {
        if (held.length < limit) held.push(value)
        return
      }
      for (const callback of [...callbacks]) callback(value)
    },
    subscribe(callback) {
      callbacks.add(callback)
      for (const value of held.splice(0)) callback(value)
      return () => {
        callbacks.delete(callback)
      }
    }
  }
}
