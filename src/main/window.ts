import { join } from 'node:path'
import { BrowserWindow } from 'electron'
import type { AppOrigin } from './security.ts'

/**
 * The app window. Every webPreferences flag the Electron security checklist names is set explicitly, even where
 * it is the default, so a future default change (or a copy-paste) cannot weaken it silently.
 */
export function createMainWindow(origin: AppOrigin, preloadPath: string, icon: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'SmolVLM Desktop',
    // The window and taskbar icon on Linux and Windows (macOS takes the app bundle's icon).
    icon,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false
    }
  })
  window.once('ready-to-show', () => window.show())
  void window.loadURL(origin.pageUrl)
  return window
}

export function preloadPath(mainDir: string): string {
  return join(mainDir, '../preload/index.cjs')
}

/** resources/icon.png, beside out/ in the project and inside app.asar once packaged (electron-builder.config.js). */
export function iconPath(mainDir: string): string {
  return join(mainDir, '../../resources/icon.png')
}
