/**
 * What the selected image already says about itself: the description and keywords in its metadata or its .xmp
 * sidecar (written by SmolVLM, a camera, Lightroom…), read by the host with ExifTool.
 */
import { useEffect, useState } from 'react'
import type { ImageMetadataInfo, SmolvlmApi } from '../../../shared/api.ts'

export function ExistingMetadata({
  api,
  imageId,
  version
}: {
  api: SmolvlmApi
  imageId: string
  /** Bumped after the app wrote metadata, so this reads it again. */
  version: number
}): React.JSX.Element | null {
  const [found, setFound] = useState<{ key: string; info: ImageMetadataInfo } | null>(null)
  const key = `${imageId}:${version}`
  useEffect(() => {
    let live = true
    api.images.metadata(imageId).then(
      (info) => {
        if (live) setFound({ key, info })
      },
      () => undefined
    )
    return () => {
      live = false
    }
  }, [api, imageId, key])
  const info = found?.key === key ? found.info : null
  if (!info || (info.description === null && info.keywords.length === 0)) return null
  return (
    <section
      className="detail__metadata"
      aria-label="In the image's metadata"
      data-testid="existing-metadata"
    >
      <h3 className="section-title">Already in {info.source ?? 'its metadata'}</h3>
      {info.description !== null ? <p className="detail__metadata-text">{info.description}</p> : null}
      {info.keywords.length > 0 ? <p className="muted small">Keywords: {info.keywords.join(', ')}</p> : null}
    </section>
  )
}
