/**
 * Save captions into the images' own metadata (what Lightroom, digiKam, darktable and file browsers read), or
 * into .xmp sidecars; the host writes through ExifTool, checks the pixels are unchanged, and reports per image.
 */
import { useState } from 'react'
import type { MetadataReportInfo, SidecarItem, SmolvlmApi } from '../../../shared/api.ts'
import type { WriteMetadataCall } from '../../../shared/library.ts'
import { errorMessage } from '../api.ts'
import { plural } from '../state/format.ts'
import { Icon } from './Icon.tsx'

type Where = 'embedded' | 'xmp-darktable' | 'xmp-adobe'

const WHERE_TEXT: Record<Where, { label: string; detail: string }> = {
  embedded: {
    label: 'In the image file',
    detail:
      'XMP description, EXIF ImageDescription, IPTC caption where the file has IPTC. RAW files get a sidecar.'
  },
  'xmp-darktable': {
    label: 'XMP sidecar photo.jpg.xmp',
    detail: 'darktable, digiKam. The image is not touched.'
  },
  'xmp-adobe': {
    label: 'XMP sidecar photo.xmp',
    detail: 'Lightroom, Bridge, Capture One. The image is not touched.'
  }
}

const POLICY_TEXT: Record<WriteMetadataCall['policy'], string> = {
  skip: 'Keep an existing description',
  replace: 'Replace it',
  append: 'Add to it'
}

const KIND_TEXT: Record<NonNullable<WriteMetadataCall['kind']>, string> = {
  description: 'Description',
  'alt-text': 'Alt text (also IPTC Alt Text)',
  keywords: 'Keywords (comma-separated tags)'
}

export function MetadataExport({
  api,
  items,
  keywordMode = false,
  names,
  onSaved,
  onError,
  onWritten
}: {
  api: SmolvlmApi
  items: readonly SidecarItem[]
  /** Every caption answers the keyword prompt: they go to the keyword fields unless the user picks otherwise. */
  keywordMode?: boolean
  names: (imageId: string) => string
  onSaved: (message: string) => void
  onError: (message: string) => void
  onWritten?: () => void
}): React.JSX.Element {
  const [where, setWhere] = useState<Where>('embedded')
  const [policy, setPolicy] = useState<WriteMetadataCall['policy']>('skip')
  const [kind, setKind] = useState<NonNullable<WriteMetadataCall['kind']>>(
    keywordMode ? 'keywords' : 'description'
  )
  const [writing, setWriting] = useState(false)
  const [reports, setReports] = useState<MetadataReportInfo[] | null>(null)

  const write = async (): Promise<void> => {
    setWriting(true)
    setReports(null)
    try {
      const result = await api.results.writeMetadata(items, {
        mode: where === 'embedded' ? 'embedded' : 'xmp',
        naming: where === 'xmp-adobe' ? 'adobe' : 'darktable',
        policy,
        kind
      })
      setReports(result)
      onWritten?.()
      const wrote = result.filter((r) => r.outcome !== 'skipped' && r.outcome !== 'failed').length
      onSaved(`Metadata saved for ${plural(wrote, 'image')}.`)
    } catch (error) {
      onError(`No metadata was written: ${errorMessage(error)}`)
    } finally {
      setWriting(false)
    }
  }

  const notable = (reports ?? []).filter((r) => r.outcome === 'skipped' || r.outcome === 'failed' || r.reason)
  return (
    <section className="export__section" aria-labelledby="export-metadata-title">
      <h3 id="export-metadata-title" className="section-title">
        Into the images&apos; metadata
      </h3>
      <fieldset className="export__policies">
        <legend>Where</legend>
        {(Object.keys(WHERE_TEXT) as Where[]).map((option) => (
          <label key={option} className="radio-card">
            <input
              type="radio"
              name="metadata-where"
              value={option}
              checked={where === option}
              onChange={() => setWhere(option)}
            />
            <span>
              <strong>{WHERE_TEXT[option].label}</strong>
              <span className="field__hint">{WHERE_TEXT[option].detail}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="export__row">
        <label className="field">
          <span>The caption is</span>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
            {Object.entries(KIND_TEXT).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>When the image already has one</span>
          <select
            className="input"
            value={policy}
            onChange={(e) => setPolicy(e.target.value as typeof policy)}
          >
            {Object.entries(POLICY_TEXT).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="export__actions">
        <button
          type="button"
          className="button button--primary"
          onClick={() => void write()}
          disabled={items.length === 0 || writing}
        >
          <Icon name="save" /> {writing ? 'Writing…' : `Write metadata of ${plural(items.length, 'image')}`}
        </button>
      </div>
      {reports ? (
        <div className="export__report" role="status" data-testid="metadata-report">
          <p>
            {plural(reports.filter((r) => r.outcome !== 'skipped' && r.outcome !== 'failed').length, 'image')}{' '}
            written
            {' · '}
            {reports.filter((r) => r.outcome === 'skipped').length} skipped ·{' '}
            {reports.filter((r) => r.outcome === 'failed').length} failed
          </p>
          {notable.length > 0 ? (
            <ul className="export__report-list">
              {notable.map((r) => (
                <li key={r.imageId} className={`report report--${r.outcome}`}>
                  <strong>{r.file ?? names(r.imageId)}</strong>: {r.outcome}
                  {r.reason ? ` — ${r.reason}` : ''}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  )
}
