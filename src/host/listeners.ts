/** A set of callbacks for one kind of event; `add` returns the function that removes the callback again. */
export class Listeners<T> {
  private readonly callbacks = new Set<(value: T) => void>()

  add(callback: (value: T) => void): () => void {
    this.callbacks.add(callback)
    return () => {
      this.callbacks.delete(callback)
    }
  }

  emit(value: T): void {
    for (const callback of [...this.callbacks]) {
      try {
        callback(value)
      } catch {
        // One listener's failure must not keep the event from the others.
      }
    }
  }

  clear(): void {
    this.callbacks.clear()
  }
}
