import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { SidecarItem, SidecarPolicy, SidecarReport } from '../shared/contract.ts'
import { boundMessage } from '../shared/contract.ts'
import { writeFileAtomic } from './atomic-write.ts'
import type { FileBroker } from './file-broker.ts'
import { SidecarClaims } from '../shared/sidecar-claims.ts'

/** photo.jpg → photo.txt in the same folder (the convention of TagGUI and the dataset trainers). */
export function sidecarPath(imagePath: string): string {
  return join(dirname(imagePath), `${basename(imagePath, extname(imagePath))}.txt`)
}

/** The caption with the trigger word in front ("ohwx, a cat on a sofa"), unless it already starts with it. */
export function withTriggerWord(text: string, triggerWord: string | undefined): string {
  const caption = text.trim()
  const word = (triggerWord ?? '').trim()
  if (word === '') return caption
  if (caption === word || caption.startsWith(`${word},`) || caption.startsWith(`${word} `)) return caption
  return caption === '' ? word : `${word}, ${caption}`
}

/**
 * The new content of a sidecar under a policy, given what is there (null: nothing). Captions are one per line:
 * append puts the new one after the existing text, prefix before it. Files end with one newline.
 */
export function applyPolicy(
  existing: string | null,
  caption: string,
  policy: SidecarPolicy
): { content: string; outcome: SidecarReport['outcome'] } | null {
  if (existing === null) return { content: `${caption}\n`, outcome: 'written' }
  switch (policy) {
    case 'skip':
      return null
    case 'overwrite':
      return { content: `${caption}\n`, outcome: 'overwritten' }
    case 'append': {
      const before = existing.trimEnd()
      return { content: before === '' ? `${caption}\n` : `${before}\n${caption}\n`, outcome: 'appended' }
    }
    case 'prefix': {
      const after = existing.trim()
      return { content: after === '' ? `${caption}\n` : `${caption}\n${after}\n`, outcome: 'prefixed' }
    }
  }
}

async function readExisting(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

const reasonOf = (error: unknown): string =>
  boundMessage(error instanceof Error ? error.message : String(error))

/**
 * Writes one caption file (`target`, the image's .txt) under a policy; what happened, with the reason when it was
 * not written. The app's Save dialog (writeSidecars) and `smolvlm caption --write-txt` both write through it.
 */
export async function writeCaptionFile(
  target: string,
  caption: string,
  policy: SidecarPolicy
): Promise<{ outcome: SidecarReport['outcome']; reason: string | null }> {
  const file = basename(target)
  try {
    // Twice at most: if a file appears between reading and creating, the policy is applied to it.
    for (let attempt = 0; ; attempt++) {
      const existing = await readExisting(target)
      if (existing !== null && !(await stat(target)).isFile())
        return { outcome: 'failed', reason: `${file} exists and is not a file.` }
      const plan = applyPolicy(existing, caption, policy)
      if (!plan) return { outcome: 'skipped', reason: `${file} already exists (policy: skip).` }
      try {
        await writeFileAtomic(target, plan.content, existing === null ? 'create' : 'replace')
        return { outcome: plan.outcome, reason: null }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error
      }
    }
  } catch (error) {
    return { outcome: 'failed', reason: reasonOf(error) }
  }
}

/**
 * Writes one caption file per image, next to the image, and reports for every item what happened. Nothing is
 * overwritten unless the policy says so (and then the report says "overwritten"); two images of the batch that
 * map to the same .txt (photo.jpg, photo.png) are not allowed to clobber each other: the second is skipped.
 */
export async function writeSidecars(
  broker: FileBroker,
  items: readonly SidecarItem[],
  policy: SidecarPolicy,
  triggerWord?: string
): Promise<SidecarReport[]> {
  const reports: SidecarReport[] = []
  const claimed = new SidecarClaims()
  for (const item of items) {
    const report = (file: string | null, outcome: SidecarReport['outcome'], reason: string | null = null) =>
      reports.push({ imageId: item.imageId, file, outcome, reason })
    let grant
    try {
      grant = broker.resolve(item.imageId)
    } catch (error) {
      report(null, 'failed', reasonOf(error))
      continue
    }
    if (!grant.hasPath) {
      report(null, 'failed', `${grant.name} was pasted, so it has no folder to write a caption file into.`)
      continue
    }
    const target = sidecarPath(grant.path)
    const file = basename(target)
    if (target === grant.path) {
      report(file, 'failed', `${grant.name} is itself named like its caption file.`)
      continue
    }
    const owner = claimed.claim(target, grant.path)
    if (owner !== undefined) {
      report(file, 'skipped', `${basename(owner)} in this batch already writes ${file}.`)
      continue
    }
    const written = await writeCaptionFile(target, withTriggerWord(item.text, triggerWord), policy)
    report(file, written.outcome, written.reason)
  }
  return reports
}
