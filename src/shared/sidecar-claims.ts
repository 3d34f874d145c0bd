/**
 * Which image writes each sidecar (a caption .txt, an .xmp) over a batch, a run or a watch: photo.jpg and photo.png,
 * or a RAW+JPEG pair, map to one photo.txt / photo.xmp, and the second must not overwrite or append to the first's.
 * The same image again (described anew, or a watched file that changed) may write it again.
 */
export class SidecarClaims {
  private readonly owners = new Map<string, string>()

  /** The other image that already writes `target`; undefined once `target` is claimed for `image`. */
  claim(target: string, image: string): string | undefined {
    const owner = this.owners.get(target)
    if (owner !== undefined && owner !== image) return owner
    this.owners.set(target, image)
    return undefined
  }
}
