/**
 * Saving results: a caption file (.txt) beside each image, with a policy for files already there and an optional
 * trigger word, and a CSV or JSON Lines table of everything. The host writes atomically and reports per file
 * what it did; the report is shown in full, so nothing is overwritten or skipped without the user seeing it.
 */
import { useId, useState } from 'react'
import type {
  ExportFormat,
  ExportRow,
  SidecarPolicy,
  SidecarReport,
  SmolvlmApi
} from '../../../shared/api.ts'
import type { KeywordOptions } from '../../../shared/keywords.ts'
import { SIDECAR_POLICIES } from '../../../shared/results.ts'
import { errorMessage } from '../api.ts'
import { plural } from '../state/format.ts'
import type { SaveItem } from '../state/results.ts'
import { metadataText, sidecarText } from '../state/results.ts'
import { Dialog } from './Dialog.tsx'
import { Icon } from './Icon.tsx'
import { MetadataExport } from './MetadataExport.tsx'

const POLICY_TEXT: Record<SidecarPolicy, { label: string; detail: string }> = {
  skip: { label: 'Keep existing files', detail: 'Images that already have a caption file are left alone.' },
  overwrite: { label: 'Replace existing files', detail: 'The old caption is lost.' },
  append: { label: 'Add to the end', detail: 'The new caption goes on a new line after the old text.' },
  prefix: { label: 'Add to the start', detail: 'The new caption goes on a line before the old text.' }
}

const OUTCOME_TEXT: Record<SidecarReport['outcome'], string> = {
  written: 'written',
  overwritten: 'replaced',
  appended: 'added to',
  prefixed: 'added to (start)',
  skipped: 'skipped',
  failed: 'failed'
}

export interface ExportDialogProps {
  readonly api: SmolvlmApi
  readonly sidecarItems: readonly SaveItem[]
  /** Keyword mode's options: keyword captions are saved as tags (caption files) and keywords (metadata). */
  readonly keywordOptions: KeywordOptions
  readonly rows: readonly ExportRow[]
  /** Finished captions of pasted images (no folder, so no caption file). */
  readonly pastedCount: number
  readonly names: (imageId: string) => string
  readonly policy: SidecarPolicy
  readonly triggerWord: string
  readonly onPolicy: (policy: SidecarPolicy) => void
  readonly onTriggerWord: (word: string) => void
  readonly onSaved: (message: string) => void
  readonly onError: (message: string) => void
  readonly onClose: () => void
  readonly onMetadataWritten?: () => void
}

/** What the caption file will start with (the host applies the same rule: sidecars.ts withTriggerWord). */
function preview(word: string, caption: string): string {
  const w = word.trim()
  if (w === '') return caption
  return caption.startsWith(`${w},`) || caption.startsWith(`${w} `) ? caption : `${w}, ${caption}`
}

export function ExportDialog(props: ExportDialogProps): React.JSX.Element {
  const triggerId = useId()
  const [word, setWord] = useState(props.triggerWord)
  const [writing, setWriting] = useState(false)
  const [reports, setReports] = useState<SidecarReport[] | null>(null)
  const [saving, setSaving] = useState<ExportFormat | null>(null)
  const [savedPath, setSavedPath] = useState<string | null>(null)
  const count = props.sidecarItems.length
  const first = props.sidecarItems[0]
  // Keyword captions: the tag line as written (the trigger word is not repeated among the tags).
  const sample = first?.keywords
    ? sidecarText(first, props.keywordOptions, word).text
    : preview(word, first?.text ?? 'a caption')

  const writeFiles = async (): Promise<void> => {
    if (word !== props.triggerWord) props.onTriggerWord(word)
    setWriting(true)
    setReports(null)
    try {
      const result = await props.api.results.writeSidecars(
        props.sidecarItems.map((item) => sidecarText(item, props.keywordOptions, word)),
        props.policy,
        word.trim() || undefined
      )
      setReports(result)
      const wrote = result.filter((r) => r.outcome !== 'skipped' && r.outcome !== 'failed').length
      props.onSaved(`${plural(wrote, 'caption file')} saved.`)
    } catch (error) {
      props.onError(`No caption files were written: ${errorMessage(error)}`)
    } finally {
      setWriting(false)
    }
  }

  const saveTable = async (format: ExportFormat): Promise<void> => {
    setSaving(format)
    try {
      const path = await props.api.results.export(format, props.rows)
      if (path) {
        setSavedPath(path)
        props.onSaved(`Saved ${plural(props.rows.length, 'caption')} to ${path}`)
      }
    } catch (error) {
      props.onError(
        `The ${format === 'csv' ? 'CSV' : 'JSON Lines'} file was not saved: ${errorMessage(error)}`
      )
    } finally {
      setSaving(null)
    }
  }

  const counts = new Map<SidecarReport['outcome'], number>()
  for (const r of reports ?? []) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1)
  const notable = (reports ?? []).filter((r) => r.outcome !== 'written')

  return (
    <Dialog title="Save captions" onClose={props.onClose} wide className="export">
      <section className="export__section" aria-labelledby="export-files-title">
        <h3 id="export-files-title" className="section-title">
          Caption files beside the images
        </h3>
        <p className="muted">
          photo.jpg gets photo.txt in the same folder, as dataset tools expect.{' '}
          {count > 0
            ? `${plural(count, 'finished caption')} can be saved this way.`
            : 'No finished captions of opened files yet.'}
          {props.pastedCount > 0
            ? ` ${plural(props.pastedCount, 'pasted image')} ${props.pastedCount === 1 ? 'has' : 'have'} no folder and ${props.pastedCount === 1 ? 'is' : 'are'} left out.`
            : ''}
        </p>
        <fieldset className="export__policies">
          <legend>When a caption file already exists</legend>
          {SIDECAR_POLICIES.map((policy) => (
            <label key={policy} className="radio-card">
              <input
                type="radio"
                name="sidecar-policy"
                value={policy}
                checked={props.policy === policy}
                onChange={() => props.onPolicy(policy)}
              />
              <span>
                <strong>{POLICY_TEXT[policy].label}</strong>
                <span className="field__hint">{POLICY_TEXT[policy].detail}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={triggerId}>Start every caption with (trigger word, optional)</label>
          <input
            id={triggerId}
            className="input"
            value={word}
            maxLength={256}
            placeholder="e.g. ohwx"
            onChange={(event) => setWord(event.target.value.replace(/[\r\n]/g, ' '))}
            onBlur={() => {
              if (word !== props.triggerWord) props.onTriggerWord(word)
            }}
          />
          <p className="field__hint">
            Preview: <q>{sample.slice(0, 120)}</q>
          </p>
        </div>
        <div className="export__actions">
          <button
            type="button"
            className="button button--primary"
            onClick={() => void writeFiles()}
            disabled={count === 0 || writing}
          >
            <Icon name="save" /> {writing ? 'Writing…' : `Write ${plural(count, 'caption file')}`}
          </button>
        </div>
        {reports ? (
          <div className="export__report" role="status" data-testid="sidecar-report">
            <p>{[...counts].map(([outcome, n]) => `${n} ${OUTCOME_TEXT[outcome]}`).join(' · ')}</p>
            {notable.length > 0 ? (
              <ul className="export__report-list">
                {notable.map((r) => (
                  <li key={r.imageId} className={`report report--${r.outcome}`}>
                    <strong>{r.file ?? props.names(r.imageId)}</strong>: {OUTCOME_TEXT[r.outcome]}
                    {r.reason ? ` — ${r.reason}` : ''}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </section>
      <MetadataExport
        api={props.api}
        items={props.sidecarItems.map(metadataText)}
        keywordMode={
          props.sidecarItems.length > 0 && props.sidecarItems.every((item) => item.keywords !== null)
        }
        names={props.names}
        onSaved={props.onSaved}
        onError={props.onError}
        onWritten={props.onMetadataWritten}
      />
      <section className="export__section" aria-labelledby="export-table-title">
        <h3 id="export-table-title" className="section-title">
          One table of all results
        </h3>
        <p className="muted">
          Image, folder, caption, prompt, model, precision, provider and speed for{' '}
          {plural(props.rows.length, 'finished caption')}.
        </p>
        <div className="export__actions">
          <button
            type="button"
            className="button"
            onClick={() => void saveTable('csv')}
            disabled={props.rows.length === 0 || saving !== null}
          >
            <Icon name="download" /> Save as CSV…
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void saveTable('jsonl')}
            disabled={props.rows.length === 0 || saving !== null}
          >
            <Icon name="download" /> Save as JSON Lines…
          </button>
        </div>
        {savedPath ? (
          <p className="small ok-text" role="status">
            Saved to <code>{savedPath}</code>
          </p>
        ) : null}
      </section>
    </Dialog>
  )
}
