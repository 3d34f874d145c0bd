import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { BUILT_RENDERER, REPO_ROOT } from './bridge.ts'

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Builds the app (electron-vite build → out/) when out/renderer is missing or older than src/renderer,
 * src/shared or resources (the renderer imports the app icon). Several test files may ask at once: a lock folder makes the others wait for the one build.
 */
export async function ensureRendererBuilt(): Promise<void> {
  const index = join(BUILT_RENDERER, 'index.html')
  const stale = (): boolean => {
    if (!existsSync(index)) return true
    const built = statSync(index).mtimeMs
    return ['src/renderer', 'src/shared', 'resources'].some(
      (dir) => newestMtime(join(REPO_ROOT, dir)) > built
    )
  }
  if (!stale()) return
  const lock = join(REPO_ROOT, 'out', '.build-lock')
  mkdirSync(join(REPO_ROOT, 'out'), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // Someone else is building; a lock older than two minutes is left over from a killed run.
      const held = statSync(lock, { throwIfNoEntry: false })
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true })
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  try {
    if (!stale()) return
    const cli = join(
      dirname(createRequire(import.meta.url).resolve('electron-vite/package.json')),
      'bin',
      'electron-vite.js'
    )
    const result = spawnSync(process.execPath, [cli, 'build'], { cwd: REPO_ROOT, encoding: 'utf8' })
    if (result.status !== 0)
      throw new Error(`electron-vite build failed:\n${result.stdout}\n${result.stderr}`)
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}
