/**
 * Every way images arrive: dropped files and folders (anywhere on the window), pasted images, the Open… dialogs
 * and the app menu (images.onAdded). Each lands in the queue; files that are not images are skipped with a note,
 * and one unreadable file does not sink the others.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ImageRef, SmolvlmApi } from '../../../shared/api.ts'
import { isImageFileName } from '../../../shared/images.ts'
import { errorMessage } from '../api.ts'
import { plural } from '../state/format.ts'

export interface ImageIntake {
  /** True while files are dragged over the window. */
  readonly dragging: boolean
  openImages(): Promise<void>
  openFolder(): Promise<void>
  addFiles(files: readonly File[]): Promise<void>
}

export interface IntakeOptions {
  readonly api: SmolvlmApi
  /** Puts the images in the queue; returns how many were new. */
  readonly accept: (images: readonly ImageRef[]) => number
  readonly notify: (kind: 'info' | 'error', text: string) => void
}

/** A dropped entry the host may expand or use: an image by name or type, or something without a type (a folder). */
function maybeImage(file: File): boolean {
  return isImageFileName(file.name) || file.type.startsWith('image/') || file.type === ''
}

function hasFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files')
}

function pastedName(type: string): string {
  const ext =
    type
      .split('/')[1]
      ?.replace('jpeg', 'jpg')
      .replace(/[^a-z0-9]/g, '') || 'png'
  const time = new Date().toTimeString().slice(0, 8).replace(/:/g, '-')
  return `Pasted ${time}.${ext}`
}

export function useImageIntake({ api, accept, notify }: IntakeOptions): ImageIntake {
  const [dragging, setDragging] = useState(false)
  const depth = useRef(0)

  const land = useCallback(
    (images: readonly ImageRef[], what: string) => {
      if (images.length === 0) {
        notify('info', `No images found in ${what}.`)
        return
      }
      const fresh = accept(images)
      if (fresh < images.length)
        notify(
          'info',
          fresh === 0
            ? 'Those images are already in the list.'
            : `${plural(images.length - fresh, 'image')} already in the list.`
        )
    },
    [accept, notify]
  )

  const addFiles = useCallback(
    async (files: readonly File[]) => {
      const usable = files.filter(maybeImage)
      const skipped = files.length - usable.length
      if (skipped > 0)
        notify(
          'info',
          `Skipped ${plural(skipped, 'file')} that ${skipped === 1 ? 'is' : 'are'} not an image.`
        )
      if (usable.length === 0) return
      try {
        land(await api.images.add(usable), 'what was dropped')
      } catch (error) {
        if (usable.length === 1) {
          notify('error', `${usable[0]!.name} could not be added: ${errorMessage(error)}`)
          return
        }
        // One bad file must not lose the rest: add them one at a time and name the ones that fail.
        const added: ImageRef[] = []
        for (const file of usable) {
          try {
            added.push(...(await api.images.add([file])))
          } catch (each) {
            notify('error', `${file.name} could not be added: ${errorMessage(each)}`)
          }
        }
        if (added.length > 0) land(added, 'what was dropped')
      }
    },
    [api, land, notify]
  )

  const open = useCallback(
    async (folders: boolean) => {
      try {
        const images = await api.images.open({ folders })
        // An empty answer is a cancelled dialog, or a folder without images.
        if (images.length > 0) land(images, folders ? 'the folder' : 'the selection')
      } catch (error) {
        notify('error', errorMessage(error))
      }
    },
    [api, land, notify]
  )
  const openImages = useCallback(() => open(false), [open])
  const openFolder = useCallback(() => open(true), [open])

  useEffect(() => api.images.onAdded((images) => land(images, 'the selection')), [api, land])

  useEffect(() => {
    const enter = (event: DragEvent): void => {
      if (!hasFiles(event)) return
      event.preventDefault()
      depth.current++
      setDragging(true)
    }
    const over = (event: DragEvent): void => {
      if (!hasFiles(event)) return
      event.preventDefault()
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy'
    }
    const leave = (event: DragEvent): void => {
      if (!hasFiles(event)) return
      depth.current = Math.max(0, depth.current - 1)
      if (depth.current === 0) setDragging(false)
    }
    const drop = (event: DragEvent): void => {
      depth.current = 0
      setDragging(false)
      const files = Array.from(event.dataTransfer?.files ?? [])
      if (files.length === 0) return
      event.preventDefault()
      void addFiles(files)
    }
    const paste = (event: ClipboardEvent): void => {
      const items = Array.from(event.clipboardData?.items ?? []).filter(
        (item) => item.kind === 'file' && item.type.startsWith('image/')
      )
      if (items.length === 0) return // text goes where it was pasted
      event.preventDefault()
      void (async () => {
        const images: ImageRef[] = []
        for (const item of items) {
          const file = item.getAsFile()
          if (!file) continue
          try {
            images.push(
              await api.images.fromBytes(pastedName(item.type), new Uint8Array(await file.arrayBuffer()))
            )
          } catch (error) {
            notify('error', `The pasted image could not be added: ${errorMessage(error)}`)
          }
        }
        if (images.length > 0) land(images, 'the clipboard')
      })()
    }
    window.addEventListener('dragenter', enter)
    window.addEventListener('dragover', over)
    window.addEventListener('dragleave', leave)
    window.addEventListener('drop', drop)
    document.addEventListener('paste', paste)
    return () => {
      window.removeEventListener('dragenter', enter)
      window.removeEventListener('dragover', over)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('drop', drop)
      document.removeEventListener('paste', paste)
    }
  }, [api, addFiles, land, notify])

  return { dragging, openImages, openFolder, addFiles }
}
