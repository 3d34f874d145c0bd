// Types for dist-dir.js (plain Node: npm run dist:dir).

export interface ElectronDistChoice {
  /** The unpacked Electron folder electron-builder packages. */
  dir: string
  /** True for scripts/packaging/standin-electron.js's stand-in (not runnable; no native rebuild). */
  standin: boolean
  /** Where it came from, or why no real Electron was found. */
  why: string
}

export function chooseElectronDist(options?: {
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  /** The project whose node_modules/electron is looked at (default: this repository). */
  project?: string
}): ElectronDistChoice
