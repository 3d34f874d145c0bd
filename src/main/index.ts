/**
 * Electron main: app lifecycle and the glue between Electron and the host (src/host), which does the real
 * work without knowing about Electron. Security: sandbox for every renderer, one instance, a hardened window
 * (see window.ts, security.ts), the page served from app:// (app-protocol.ts), IPC only from the app's own page
 * (ipc.ts). Files the system asks the app to open (file associations, a second launch, macOS open-file) go
 * through the file broker like dropped ones (src/host/open-requests.ts, AppHost.openPaths).
 */
import { join } from 'node:path'
import { app, BrowserWindow, Menu, session } from 'electron'
import type { MessagePortMain } from 'electron'
import { AppHost } from '../host/app-host.ts'
import { libraryFile } from '../library/location.ts'
import {
  openRequestFor,
  pathsFromArguments,
  pathsFromSecondInstance,
  PendingOpens,
  userArguments
} from '../host/open-requests.ts'
import type { ModelSpec } from '../shared/contract.ts'
import { registerAppScheme, serveRenderer } from './app-protocol.ts'
import { electronDialogs } from './dialogs.ts'
import { push, registerIpc } from './ipc.ts'
import { buildAppMenu } from './menu.ts'
import { createModelStore } from './model-store.ts'
import { AppOrigin, hardenContents, secureSession } from './security.ts'
import { utilityWorkerLauncher } from './utility-launcher.ts'
import { createMainWindow, iconPath, preloadPath } from './window.ts'

const mainDir = import.meta.dirname
const devServer = process.env['ELECTRON_RENDERER_URL']
const origin = devServer ? AppOrigin.devServer(devServer) : AppOrigin.app()
// `electron .` (development): argv[1] is the app folder, not a file to open.
const defaultApp = Boolean(process.defaultApp)
const log = (line: string): void => {
  process.stderr.write(`smolvlm: ${line}\n`)
}

// Tests and development can point the app at another data folder or a fixed model folder.
if (process.env['SMOLVLM_USER_DATA']) app.setPath('userData', process.env['SMOLVLM_USER_DATA'])

// Checklist §4: every renderer sandboxed, whatever a window's own preferences say.
app.enableSandbox()
// Checklist 18: the built page comes from app://smolvlm/, a privileged scheme registered before ready.
registerAppScheme()

let window: BrowserWindow | null = null
let host: AppHost<MessagePortMain> | null = null
/** Files to open that arrived before the host and the page were ready (launch arguments, open-file). */
const pendingOpens = new PendingOpens()
pendingOpens.add(pathsFromArguments(userArguments(process.argv, defaultApp), process.cwd()))

function openWindow(): BrowserWindow {
  const created = createMainWindow(origin, preloadPath(mainDir), iconPath(mainDir))
  created.on('closed', () => {
    if (window === created) window = null
  })
  window = created
  return created
}

/** Grants the files and tells the page once it has loaded (opening a window first if none is open, macOS). */
function openInWindow(current: AppHost<MessagePortMain>, paths: string[]): void {
  const target = window ?? openWindow()
  const grant = (): void => void current.openPaths(paths).catch((e: unknown) => log(String(e)))
  if (target.webContents.isLoading()) target.webContents.once('did-finish-load', grant)
  else grant()
  showWindow()
}

function showWindow(): void {
  if (!window) return
  if (window.isMinimized()) window.restore()
  window.focus()
}

/** SMOLVLM_MODEL_DIR: use that folder as the model, whatever the settings name (tests, development). */
function fixedModel():
  | ((settings: { variant: ModelSpec['variant']; device: ModelSpec['device'] }) => Promise<ModelSpec>)
  | undefined {
  const dir = process.env['SMOLVLM_MODEL_DIR']
  if (!dir) return undefined
  return async (settings) => ({ id: 'local', dir, variant: settings.variant, device: settings.device })
}

async function start(): Promise<void> {
  secureSession(session.defaultSession, origin)
  if (!devServer) serveRenderer(session.defaultSession, join(mainDir, '../renderer'))
  const userData = app.getPath('userData')
  host = await AppHost.create<MessagePortMain>({
    settingsDir: join(userData, 'settings'),
    libraryFile: libraryFile(userData),
    launcher: utilityWorkerLauncher(join(mainDir, 'worker.js')),
    dialogs: electronDialogs(() => window),
    store: await createModelStore(process.env['SMOLVLM_HOME'] ?? userData),
    resolveModel: fixedModel(),
    dataDir: userData,
    log
  })
  registerIpc(host, origin, log)
  const current = host
  const contents = () => window?.webContents
  current.onModelStatus.add((status) => push(contents(), 'model-status', status))
  current.store.onProgress.add((event) => push(contents(), 'store-progress', event))
  current.settings.onChange.add((settings) => push(contents(), 'settings', settings))
  current.onImagesAdded.add((images) => push(contents(), 'images-added', images))
  current.watch.onImages.add((images) => push(contents(), 'watch-images', images))
  current.watch.onStatus.add((status) => push(contents(), 'watch-status', status))

  Menu.setApplicationMenu(
    buildAppMenu(
      {
        openImages: () => void current.openFromMenu(false).catch((e: unknown) => log(String(e))),
        openFolder: () => void current.openFromMenu(true).catch((e: unknown) => log(String(e)))
      },
      { dev: Boolean(devServer) || !app.isPackaged }
    )
  )
  openWindow()
  pendingOpens.ready((paths) => openInWindow(current, paths))
  // The worker starts after the window, so the first paint does not wait for it; the model loads on first use.
  current.start()
}

// A second launch hands its files (its own arguments and working directory) to the running app and quits.
if (!app.requestSingleInstanceLock(openRequestFor(process.argv, process.cwd(), defaultApp))) {
  app.quit()
} else {
  app.on('second-instance', (_event, argv, workingDirectory, additionalData) => {
    pendingOpens.add(pathsFromSecondInstance(argv, workingDirectory, additionalData, defaultApp))
    showWindow()
  })
  // macOS: "Open with" and drops on the Dock icon, also before ready (the handler must exist early).
  app.on('open-file', (event, path) => {
    event.preventDefault()
    pendingOpens.add([path])
  })
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, origin))
  void app.whenReady().then(start)
  app.on('activate', () => {
    if (host && BrowserWindow.getAllWindows().length === 0) openWindow()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  let closing = false
  app.on('before-quit', (event) => {
    if (!host || closing) return
    // Stop the worker and pause downloads before the process goes.
    event.preventDefault()
    closing = true
    void host.close().finally(() => app.quit())
  })
}
