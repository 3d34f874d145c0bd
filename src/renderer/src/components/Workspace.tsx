/**
 * The main window once a model is available: toolbar, prompt, queue progress, the card list with the selected
 * image beside it, and the status bar. It wires the queue to the keyboard, drops, pastes and dialogs.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ImageRef, ModelStatus, Settings, SettingsPatch, SmolvlmApi } from '../../../shared/api.ts'
import { useImageIntake } from '../hooks/useImageIntake.ts'
import { useLibrarySearch } from '../hooks/useLibrarySearch.ts'
import { useQueue } from '../hooks/useQueue.ts'
import { useShortcuts } from '../hooks/useShortcuts.ts'
import { useWatchFolder } from '../hooks/useWatchFolder.ts'
import { effectivePrompt, PROMPT_PRESETS, presetForPrompt } from '../state/prompts.ts'
import type { QueueController } from '../state/queue-controller.ts'
import { itemKeywords } from '../state/keywords.ts'
import { displayText, statusCounts } from '../state/queue.ts'
import { exportRows, finishedItems, sidecarItems } from '../state/results.ts'
import type { Command } from '../state/shortcuts.ts'
import { BatchBar } from './BatchBar.tsx'
import { CardList } from './CardList.tsx'
import { DetailPane } from './DetailPane.tsx'
import { DropOverlay } from './DropOverlay.tsx'
import { EmptyState } from './EmptyState.tsx'
import { ExportDialog } from './ExportDialog.tsx'
import type { CardActions } from './ImageCard.tsx'
import { PromptBar } from './PromptBar.tsx'
import { SearchResults } from './SearchResults.tsx'
import { StatusBar } from './StatusBar.tsx'
import { Toolbar } from './Toolbar.tsx'
import { WatchBar } from './WatchBar.tsx'
import { WatchDialog } from './WatchDialog.tsx'

export type DialogName = 'settings' | 'export' | 'models' | 'help'

export interface WorkspaceProps {
  readonly api: SmolvlmApi
  readonly controller: QueueController
  readonly settings: Settings
  readonly update: (patch: SettingsPatch) => void
  readonly status: ModelStatus | null
  readonly notify: (kind: 'info' | 'success' | 'error', text: string) => void
  readonly dialog: DialogName | null
  readonly openDialog: (dialog: DialogName | null) => void
  readonly mac: boolean
}

const PROMPT_SAVE_DELAY_MS = 600

export function Workspace(props: WorkspaceProps): React.JSX.Element {
  const { api, controller, settings, update, status, notify, mac } = props
  const keywordOptions = settings.keywords
  const queue = useQueue(controller)
  const counts = useMemo(() => statusCounts(queue), [queue])
  const [prompt, setPrompt] = useState(settings.prompt)
  const [focusRequest, setFocusRequest] = useState(0)
  const [hiddenBatch, setHiddenBatch] = useState<number | null>(null)
  const [announcement, setAnnouncement] = useState('')
  const promptRef = useRef<HTMLTextAreaElement>(null)
  const searchRef = useRef<HTMLInputElement>(null)
  const [searchWords, setSearchWords] = useState('')
  const [metadataVersion, setMetadataVersion] = useState(0)
  const search = useLibrarySearch(api, searchWords)
  const questionRef = useRef<HTMLTextAreaElement>(null)
  const mod = mac ? '⌘' : 'Ctrl'
  const modelLoading = status?.state === 'loading'

  // The prompt is saved a moment after typing stops (and at once when a preset is picked).
  const savedPrompt = useRef(settings.prompt)
  useEffect(() => {
    if (prompt === savedPrompt.current) return
    const timer = setTimeout(() => {
      savedPrompt.current = prompt
      update({ prompt, promptPresetId: presetForPrompt(prompt)?.id ?? null })
    }, PROMPT_SAVE_DELAY_MS)
    return () => clearTimeout(timer)
  }, [prompt, update])

  const currentPrompt = useRef(prompt)
  useEffect(() => {
    currentPrompt.current = prompt
  })
  const accept = useCallback(
    (images: readonly ImageRef[]) => controller.add(images, effectivePrompt(currentPrompt.current)).length,
    [controller]
  )
  const intake = useImageIntake({ api, accept, notify })
  // A watched folder's images are described as they arrive; one already on the list changed, so again.
  const watchImages = useCallback(
    (images: readonly ImageRef[]) => {
      const prompt = effectivePrompt(currentPrompt.current)
      const fresh = new Set(controller.add(images, prompt))
      const again = images.filter((image) => !fresh.has(image.id)).map((image) => image.id)
      if (again.length > 0) controller.describe(again, prompt)
    },
    [controller]
  )
  const watchError = useCallback((text: string) => notify('error', text), [notify])
  const watch = useWatchFolder(api, watchImages, watchError)
  const [watchDialog, setWatchDialog] = useState(false)

  // Tell screen readers when a caption is finished (the streaming text itself is not announced token by token).
  const lastRunning = useRef<readonly string[]>([])
  useEffect(() => {
    const previous = lastRunning.current
    lastRunning.current = queue.running
    // Images of a group end one by one: tell about the latest that ended.
    const ended = previous.filter((id) => !queue.running.includes(id)).at(-1)
    const item = ended === undefined ? undefined : queue.items[ended]
    if (!item) return
    if (item.status === 'done') setAnnouncement(`Caption ready for ${item.image.name}.`)
    else if (item.status === 'error')
      setAnnouncement(`${item.image.name} failed: ${item.error?.message ?? ''}`)
  }, [queue.running, queue.items])

  const copy = useCallback(
    async (id: string) => {
      const item = controller.getState().items[id]
      // Keyword mode copies what the card shows: the keywords, comma-separated.
      const keywords = item ? itemKeywords(item, keywordOptions) : null
      const text = keywords && keywords.length > 0 ? keywords.join(', ') : item ? displayText(item.text) : ''
      if (text === '') return
      const what = keywords && keywords.length > 0 ? 'keywords' : 'caption'
      try {
        await navigator.clipboard.writeText(text)
        notify('success', `Copied the ${what} of ${item!.image.name}.`)
      } catch {
        notify('error', `The ${what} could not be copied to the clipboard.`)
      }
    },
    [controller, notify, keywordOptions]
  )

  const actions: CardActions = useMemo(
    () => ({
      select: (id) => controller.select(id),
      copy: (id) => void copy(id),
      regenerate: (id) =>
        controller.describe([id], effectivePrompt(currentPrompt.current), { priority: true }),
      stop: (id) => controller.stop(id),
      remove: (id) => controller.remove([id])
    }),
    [controller, copy]
  )

  const runAll = useCallback(
    (again: boolean) => {
      const n = controller.describeAll(effectivePrompt(currentPrompt.current), { again })
      if (n === 0 && controller.getState().order.length > 0 && !again)
        notify('info', `Every image has a caption. ${mod}+Shift+Enter describes them all again.`)
    },
    [controller, notify, mod]
  )

  const choosePreset = useCallback(
    (presetId: string) => {
      const preset = PROMPT_PRESETS.find((p) => p.id === presetId)
      if (!preset) return
      setPrompt(preset.prompt)
      savedPrompt.current = preset.prompt
      update({ prompt: preset.prompt, promptPresetId: preset.id })
    },
    [update]
  )

  const finished = finishedItems(queue)
  const selected = queue.selectedId ? (queue.items[queue.selectedId] ?? null) : null

  const runCommand = (command: Command): boolean => {
    const id = queue.selectedId
    const move = (change: () => void): boolean => {
      if (queue.order.length === 0) return false
      change()
      setFocusRequest((n) => n + 1)
      return true
    }
    switch (command) {
      case 'open-images':
        void intake.openImages()
        return true
      case 'open-folder':
        void intake.openFolder()
        return true
      case 'describe-all':
        runAll(false)
        return true
      case 'describe-again':
        runAll(true)
        return true
      case 'stop':
        return controller.stopCurrent()
      case 'cancel-batch':
        controller.cancelAll()
        return true
      case 'toggle-pause':
        controller.togglePause()
        setAnnouncement(
          controller.getState().paused ? 'Queue paused after the current image.' : 'Queue resumed.'
        )
        return true
      case 'next':
        return move(() => controller.moveSelection(1))
      case 'previous':
        return move(() => controller.moveSelection(-1))
      case 'first':
        return move(() => controller.selectEdge('first'))
      case 'last':
        return move(() => controller.selectEdge('last'))
      case 'copy':
        if (id === null) return false
        void copy(id)
        return true
      case 'regenerate':
        if (id === null) return false
        actions.regenerate(id)
        return true
      case 'ask':
        if (id === null) return false
        questionRef.current?.focus()
        return true
      case 'remove': {
        if (id === null) return false
        controller.remove([id])
        setFocusRequest((n) => n + 1)
        return true
      }
      case 'focus-prompt':
        promptRef.current?.focus()
        promptRef.current?.select()
        return true
      case 'search':
        searchRef.current?.focus()
        searchRef.current?.select()
        return true
      case 'settings':
      case 'models':
      case 'help':
        props.openDialog(command)
        return true
      case 'export':
        props.openDialog('export')
        return true
      case 'preset-1':
      case 'preset-2':
      case 'preset-3':
      case 'preset-4':
      case 'preset-5': {
        const preset = PROMPT_PRESETS[Number(command.slice(-1)) - 1]
        if (preset) choosePreset(preset.id)
        return true
      }
    }
  }
  useShortcuts(runCommand, mac, () => {
    if (queue.selectedId !== null) setFocusRequest((n) => n + 1)
  })

  const batch = queue.batch
  // A finished batch's summary gives way to the paused notice (a paused queue must always be visible).
  const showBatch =
    batch !== null && batch.startedAt !== hiddenBatch && !(batch.endedAt !== null && queue.paused)
  const pastedFinished = finished.filter((item) => !item.image.hasPath).length

  return (
    <div className="app" data-testid="workspace">
      <Toolbar
        onOpenImages={() => void intake.openImages()}
        onOpenFolder={() => void intake.openFolder()}
        onWatch={() => setWatchDialog(true)}
        watching={watch.status.watching}
        onExport={() => props.openDialog('export')}
        onModels={() => props.openDialog('models')}
        onSettings={() => props.openDialog('settings')}
        onHelp={() => props.openDialog('help')}
        canExport={finished.length > 0}
        mod={mod}
        search={searchWords}
        onSearch={setSearchWords}
        searchRef={searchRef}
      />
      {watch.status.watching ? <WatchBar status={watch.status} onStop={() => void watch.stop()} /> : null}
      <PromptBar
        prompt={prompt}
        onPromptChange={setPrompt}
        onPreset={choosePreset}
        onRun={runAll}
        undescribed={counts.idle + counts.stopped + counts.error}
        total={queue.order.length}
        pausedQueued={queue.paused ? queue.pending.length : 0}
        busy={queue.running.length > 0 || queue.pending.length > 0 || queue.priority.length > 0}
        onResume={() => controller.resume()}
        inputRef={promptRef}
        mod={mod}
      />
      {showBatch ? (
        <BatchBar
          batch={batch}
          paused={queue.paused}
          onPause={() => controller.pause()}
          onResume={() => controller.resume()}
          onCancel={() => controller.cancelAll()}
          onDismiss={() => setHiddenBatch(batch.startedAt)}
        />
      ) : queue.paused ? (
        <section className="batch-bar batch-bar--paused" aria-label="Queue progress">
          <p className="batch-bar__text">
            <strong>Queue paused.</strong> New images wait until you resume.
          </p>
          <div className="batch-bar__actions">
            <button type="button" className="button" onClick={() => controller.resume()}>
              Resume
            </button>
          </div>
        </section>
      ) : null}
      <main className="workspace">
        {search.status !== 'idle' ? (
          <SearchResults
            api={api}
            search={search}
            onAddToList={(image, entry) => {
              controller.addKept(image, entry.text, entry.prompt)
              setSearchWords('')
              notify('success', `${image.name} is on the list with its kept caption.`)
            }}
          />
        ) : queue.order.length === 0 ? (
          <EmptyState
            onOpenImages={() => void intake.openImages()}
            onOpenFolder={() => void intake.openFolder()}
            mod={mod}
          />
        ) : (
          <>
            <CardList
              api={api}
              queue={queue}
              modelLoading={modelLoading}
              actions={actions}
              focusRequest={focusRequest}
              keywordOptions={settings.keywords}
            />
            <DetailPane
              api={api}
              item={selected}
              modelLoading={modelLoading}
              onCopy={(id) => void copy(id)}
              onRegenerate={actions.regenerate}
              onStop={actions.stop}
              onAsk={(id, question) => controller.ask(id, question)}
              onStopFollowUp={(id) => controller.stopFollowUp(id)}
              questionRef={questionRef}
              metadataVersion={metadataVersion}
              keywordOptions={settings.keywords}
            />
          </>
        )}
      </main>
      <StatusBar
        status={status}
        modelId={settings.modelId}
        variant={settings.variant}
        lastStats={queue.lastStats}
        queued={queue.pending.length + queue.priority.length}
        running={
          queue.running.length > 1
            ? `${queue.running.length} images together`
            : (queue.items[queue.running[0] ?? '']?.image.name ?? null)
        }
        paused={queue.paused}
        onModelClick={() => props.openDialog('models')}
      />
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {intake.dragging ? <DropOverlay /> : null}
      {watchDialog ? (
        <WatchDialog
          policy={settings.sidecarPolicy}
          triggerWord={settings.triggerWord}
          onStart={async (writeCaptionFiles) => {
            await watch.start(writeCaptionFiles)
            setWatchDialog(false)
          }}
          onClose={() => setWatchDialog(false)}
        />
      ) : null}
      {props.dialog === 'export' ? (
        <ExportDialog
          api={api}
          sidecarItems={sidecarItems(finished, settings.keywords)}
          rows={exportRows(finished, { modelId: settings.modelId, status, keywords: settings.keywords })}
          keywordOptions={settings.keywords}
          pastedCount={pastedFinished}
          names={(imageId) => queue.items[imageId]?.image.name ?? imageId}
          policy={settings.sidecarPolicy}
          triggerWord={settings.triggerWord}
          onPolicy={(sidecarPolicy) => update({ sidecarPolicy })}
          onTriggerWord={(triggerWord) => update({ triggerWord })}
          onSaved={(text) => notify('success', text)}
          onError={(text) => notify('error', text)}
          onMetadataWritten={() => setMetadataVersion((n) => n + 1)}
          onClose={() => props.openDialog(null)}
        />
      ) : null}
    </div>
  )
}
