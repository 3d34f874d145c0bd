import { join } from 'node:path'
import { app, dialog } from 'electron'
import type { BrowserWindow } from 'electron'
import type { HostDialogs } from '../host/app-host.ts'
import { IMAGE_EXTENSIONS } from '../shared/contract.ts'

/** The system dialogs behind images.open, results.export, store.importFolder and watch.start (paths from them are granted). */
export function electronDialogs(window: () => BrowserWindow | null): HostDialogs {
  const parent = () => window() ?? undefined
  return {
    async openImages({ folders }) {
      const options: Electron.OpenDialogOptions = folders
        ? { title: 'Add folders of images', properties: ['openDirectory', 'multiSelections'] }
        : {
            title: 'Add images',
            properties: ['openFile', 'multiSelections'],
            filters: [{ name: 'Images', extensions: IMAGE_EXTENSIONS.map((ext) => ext.slice(1)) }]
          }
      const w = parent()
      const result = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : result.filePaths
    },
    async saveExport(defaultName, format) {
      const options: Electron.SaveDialogOptions = {
        title: 'Export captions',
        defaultPath: join(app.getPath('documents'), defaultName),
        filters: [
          format === 'csv'
            ? { name: 'CSV', extensions: ['csv'] }
            : { name: 'JSON Lines', extensions: ['jsonl'] }
        ]
      }
      const w = parent()
      const result = w ? await dialog.showSaveDialog(w, options) : await dialog.showSaveDialog(options)
      return result.canceled || !result.filePath ? null : result.filePath
    },
    async chooseModelFolder() {
      const options: Electron.OpenDialogOptions = {
        title: 'Import a model folder',
        properties: ['openDirectory']
      }
      const w = parent()
      const result = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    async chooseWatchFolder() {
      const options: Electron.OpenDialogOptions = {
        title: 'Choose a folder to watch',
        buttonLabel: 'Watch',
        properties: ['openDirectory', 'createDirectory']
      }
      const w = parent()
      const result = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    }
  }
}
