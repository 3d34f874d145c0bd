/**
 * The window: settings, model status and the model store are loaded here; without a usable model the first-run
 * screen leads to a download, otherwise the workspace. The queue lives here too, so opening the model manager
 * (or anything else) never loses the cards.
 */
import { useCallback, useEffect, useState } from 'react'
import type { InstalledModelInfo, SmolvlmApi, VariantChoice } from '../../shared/api.ts'
import { autoBatchSize } from '../../shared/settings.ts'
import { FirstRunScreen } from './components/FirstRunScreen.tsx'
import { HelpOverlay } from './components/HelpOverlay.tsx'
import { ModelManager } from './components/ModelManager.tsx'
import { Notices } from './components/Notices.tsx'
import { SettingsDialog } from './components/SettingsDialog.tsx'
import type { DialogName } from './components/Workspace.tsx'
import { Workspace } from './components/Workspace.tsx'
import { useModelStatus } from './hooks/useModelStatus.ts'
import { useModelStore } from './hooks/useModelStore.ts'
import { useNotices } from './hooks/useNotices.tsx'
import { useSettings } from './hooks/useSettings.ts'
import { useTheme } from './hooks/useTheme.ts'
import { hasUsableModel, modelPatch } from './state/models.ts'
import { QueueController } from './state/queue-controller.ts'
import { isMacPlatform } from './state/shortcuts.ts'

type Probe = 'unknown' | 'ready' | 'missing'

export function App({ api }: { api: SmolvlmApi }): React.JSX.Element {
  const { notices, notify, dismiss } = useNotices()
  const onError = useCallback((text: string) => notify('error', text), [notify])
  const { settings, loadError, update } = useSettings(api, onError)
  const model = useModelStatus(api, onError)
  const store = useModelStore(api, onError)
  const [controller] = useState(
    () =>
      new QueueController(api, {
        // Kept in the caption library by the host (it knows the model, and whether keeping is on).
        onCaption: (caption) => void api.library.record([caption]).catch(() => undefined),
        // A watched image that ended without a caption: the watch remembers a broken one, retries the rest.
        onSettled: (settled) => void api.watch.settled([settled]).catch(() => undefined)
      })
  )
  // Images captioned together: the setting, or what automatic means for the loaded model.
  const batchSize = settings?.batchSize ?? autoBatchSize(model.status)
  useEffect(() => controller.setBatchSize(batchSize), [controller, batchSize])
  const [dialog, setDialog] = useState<DialogName | null>(null)
  const [mac] = useState(isMacPlatform)
  const [probe, setProbe] = useState<Probe>('unknown')
  const [skipped, setSkipped] = useState(false)
  const [entered, setEntered] = useState(false)
  useTheme(settings?.theme)

  // Without a usable model in the store, the app may still have one (a fixed folder given at start): ask the
  // host to load it. Only a refusal leads to the first-run screen.
  const needsModel =
    settings !== null && store.loaded && store.available && !hasUsableModel(store.installed, settings.modelId)
  useEffect(() => {
    if (!needsModel || probe !== 'unknown') return
    let live = true
    api.model.load().then(
      (status) => live && setProbe(status.state === 'ready' ? 'ready' : 'missing'),
      () => live && setProbe('missing')
    )
    return () => {
      live = false
    }
  }, [api, needsModel, probe])

  const ready = settings !== null && store.loaded
  const showWorkspace = ready && (entered || !needsModel || skipped || probe === 'ready')
  // Once in the workspace, stay there (deleting the model in the manager must not throw the cards away).
  if (showWorkspace && !entered) setEntered(true)

  const saveSettings = useCallback((patch: Parameters<typeof update>[0]) => void update(patch), [update])
  const installed = useCallback(
    (m: InstalledModelInfo, choice?: VariantChoice) => {
      if (!settings) return
      void update(modelPatch(m, settings.variant, choice))
      notify('success', `${m.id} is ready. Drop images to describe them.`)
    },
    [settings, update, notify]
  )

  let screen: React.JSX.Element
  if (loadError) {
    screen = (
      <main className="splash" role="alert">
        <h1>SmolVLM could not start</h1>
        <p>{loadError}</p>
      </main>
    )
  } else if (!ready || (!showWorkspace && probe === 'unknown')) {
    screen = (
      <main className="splash" aria-busy="true">
        <p className="muted">Starting…</p>
      </main>
    )
  } else if (!showWorkspace) {
    screen = (
      <FirstRunScreen
        store={store}
        settings={settings}
        onInstalled={installed}
        onOpenModels={() => setDialog('models')}
        onSkip={() => setSkipped(true)}
      />
    )
  } else {
    screen = (
      <Workspace
        api={api}
        controller={controller}
        settings={settings}
        update={saveSettings}
        status={model.status}
        notify={notify}
        dialog={dialog}
        openDialog={setDialog}
        mac={mac}
      />
    )
  }

  return (
    <>
      {screen}
      {settings && dialog === 'settings' ? (
        <SettingsDialog
          settings={settings}
          update={saveSettings}
          status={model.status}
          store={store}
          onUnload={() => void model.unload()}
          onOpenModels={() => setDialog('models')}
          onClose={() => setDialog(null)}
          onClearLibrary={() =>
            void api.library.clear().then(
              ({ cleared }) =>
                notify('success', `Forgot ${cleared} kept caption${cleared === 1 ? '' : 's'}.`),
              (error: unknown) => notify('error', error instanceof Error ? error.message : String(error))
            )
          }
        />
      ) : null}
      {settings && dialog === 'models' ? (
        <ModelManager
          store={store}
          settings={settings}
          update={saveSettings}
          status={model.status}
          onUnload={() => void model.unload()}
          onNotice={(text) => notify('success', text)}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === 'help' ? <HelpOverlay mac={mac} onClose={() => setDialog(null)} /> : null}
      <Notices notices={notices} onDismiss={dismiss} />
    </>
  )
}
