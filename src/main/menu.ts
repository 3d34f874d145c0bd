import { app, Menu } from 'electron'
import type { MenuItemConstructorOptions } from 'electron'

export interface MenuCommands {
  openImages(): void
  openFolder(): void
}

/** The application menu: the platform's usual roles (copy/paste work through the Edit menu) plus Open…. */
export function buildAppMenu(commands: MenuCommands, options: { dev: boolean }): Menu {
  const isMac = process.platform === 'darwin'
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'Open Images…', accelerator: 'CmdOrCtrl+O', click: () => commands.openImages() },
      { label: 'Open Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => commands.openFolder() },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' }
    ]
  }
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      // Reloading or inspecting the page is for development only.
      ...(options.dev
        ? ([
            { role: 'reload' },
            { role: 'forceReload' },
            { role: 'toggleDevTools' },
            { type: 'separator' }
          ] as const)
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' }
    ]
  }
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    file,
    { role: 'editMenu' },
    view,
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: `About ${app.getName()}`, role: 'about' }] }
  ]
  return Menu.buildFromTemplate(template)
}
