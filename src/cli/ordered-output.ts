/**
 * Keeps the output of a batch in argument order: images decoded together finish in any order, so each image writes
 * into its own slot, and a slot reaches the terminal once every image before it has been written out. stdout and
 * stderr keep their own order within a slot.
 */
export interface Output {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
}

interface Slot {
  readonly parts: { readonly to: 'out' | 'err'; readonly text: string }[]
  done: boolean
}

export class OrderedOutput {
  private readonly slots = new Map<number, Slot>()
  private next = 0

  constructor(
    private readonly io: Output,
    first = 0
  ) {
    this.next = first
  }

  /** The output of the image at `index` (indexes are used once each, from `first` up). */
  slot(index: number): Output {
    const slot: Slot = { parts: [], done: false }
    this.slots.set(index, slot)
    return {
      out: (text) => this.write(index, slot, 'out', text),
      err: (text) => this.write(index, slot, 'err', text)
    }
  }

  /**
   * The image at `index` has written all it will; it and any finished images after it are written out. With
   * `discard`, what it wrote and is still held back is dropped (an image cancelled before it started).
   */
  done(index: number, options: { readonly discard?: boolean } = {}): void {
    const slot = this.slots.get(index)
    if (!slot) return
    if (options.discard) slot.parts.length = 0
    slot.done = true
    this.flush()
  }

  /** Slots still waiting (started and not done, or done behind one that is not). */
  get waiting(): number {
    return this.slots.size
  }

  private write(index: number, slot: Slot, to: 'out' | 'err', text: string): void {
    // The image whose turn it is writes straight through (its tokens stream as they come).
    if (index === this.next) this.io[to](text)
    else slot.parts.push({ to, text })
  }

  private flush(): void {
    for (;;) {
      const slot = this.slots.get(this.next)
      if (!slot) return
      for (const part of slot.parts) this.io[part.to](part.text)
      slot.parts.length = 0
      if (!slot.done) return
      this.slots.delete(this.next)
      this.next++
    }
  }
}
