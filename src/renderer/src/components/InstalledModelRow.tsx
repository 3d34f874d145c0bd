/** An installed model: its precisions, size and source; use it, check its files, or delete it. */
import { useState } from 'react'
import type { InstalledModelInfo, VerifyReportInfo } from '../../../shared/api.ts'
import { formatBytes } from '../state/format.ts'
import { Icon } from './Icon.tsx'

export interface InstalledModelRowProps {
  readonly model: InstalledModelInfo
  readonly inUse: boolean
  readonly onUse: (model: InstalledModelInfo) => void
  readonly onVerify: (ref: string) => Promise<VerifyReportInfo | null>
  readonly onRemove: (ref: string) => Promise<boolean>
}

const SOURCES: Record<string, string> = {
  hub: 'downloaded from the hub',
  'import-copy': 'imported (copied)',
  'import-in-place': 'imported (used where it is)'
}

export function InstalledModelRow({
  model,
  inUse,
  onUse,
  onVerify,
  onRemove
}: InstalledModelRowProps): React.JSX.Element {
  const [verifying, setVerifying] = useState(false)
  const [report, setReport] = useState<VerifyReportInfo | null>(null)
  const [confirming, setConfirming] = useState(false)
  const bad = report?.files.filter((f) => f.status !== 'ok') ?? []
  return (
    <li className="installed" data-model-id={model.id}>
      <div className="installed__main">
        <p className="installed__name">
          <strong>{model.id}</strong>
          {inUse ? <span className="pill pill--accent">In use</span> : null}
        </p>
        <p className="small muted">
          {model.variants.length > 0 ? model.variants.join(', ') : 'no complete precision'} ·{' '}
          {formatBytes(model.sizeBytes)} · {model.files} files · {SOURCES[model.source] ?? model.source}
        </p>
        {model.problems.map((problem) => (
          <p key={problem} className="small field__warn">
            {problem}
          </p>
        ))}
        {report ? (
          <p
            className={`small ${report.ok ? 'ok-text' : 'field__warn'}`}
            role="status"
            data-testid="verify-result"
          >
            {report.ok
              ? `All ${report.files.length} files are intact.`
              : `${bad.length} of ${report.files.length} files have problems: ${bad
                  .slice(0, 3)
                  .map((f) => `${f.path} (${f.status}${f.detail ? `, ${f.detail}` : ''})`)
                  .join('; ')}`}
          </p>
        ) : null}
      </div>
      <div className="installed__actions">
        {!inUse && model.variants.length > 0 ? (
          <button type="button" className="button" onClick={() => onUse(model)}>
            Use
          </button>
        ) : null}
        <button
          type="button"
          className="button"
          disabled={verifying}
          onClick={async () => {
            setVerifying(true)
            setReport(await onVerify(model.id))
            setVerifying(false)
          }}
        >
          <Icon name="shield" /> {verifying ? 'Checking…' : 'Verify'}
        </button>
        {confirming ? (
          <>
            <button
              type="button"
              className="button button--danger"
              onClick={async () => {
                await onRemove(model.id)
                setConfirming(false)
              }}
            >
              Delete {formatBytes(model.sizeBytes)}
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button"
            onClick={() => setConfirming(true)}
            aria-label={`Delete ${model.id}`}
          >
            <Icon name="trash" /> Delete
          </button>
        )}
      </div>
    </li>
  )
}
