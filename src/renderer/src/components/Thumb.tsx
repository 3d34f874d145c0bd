import type { SmolvlmApi } from '../../../shared/api.ts'
import { useThumbnail } from '../hooks/useThumbnail.ts'
import { Icon } from './Icon.tsx'

/** An image's thumbnail, a quiet placeholder while it loads, and a broken-image mark when it cannot be read. */
export function Thumb({
  api,
  id,
  name,
  className
}: {
  api: SmolvlmApi
  id: string
  name: string
  className: string
}): React.JSX.Element {
  const thumb = useThumbnail(api, id)
  if (thumb.state === 'ready')
    return (
      <img
        className={className}
        src={thumb.thumbnail.dataUrl}
        alt=""
        draggable={false}
        data-width={thumb.thumbnail.width}
        data-height={thumb.thumbnail.height}
      />
    )
  return (
    <div
      className={`${className} thumb-placeholder${thumb.state === 'failed' ? ' thumb-placeholder--failed' : ''}`}
      title={thumb.state === 'failed' ? `${name} has no preview` : undefined}
    >
      <Icon name={thumb.state === 'failed' ? 'alert' : 'image'} size={22} />
    </div>
  )
}
