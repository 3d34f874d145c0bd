// Types for electron-binary.js (plain Node, run without a build step by npm start and npm run test:e2e).

export type ElectronLookup = { path: string } | { reason: string; canInstall: boolean }

export interface ElectronInstallLog {
  /** Megabytes of the Electron zip downloaded so far. */
  progress(mb: number): void
}

export function executableIn(dist: string, platform?: NodeJS.Platform): string
export function electronVersion(root: string): string | null
export function findElectron(options: {
  root: string
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
}): ElectronLookup
export function installerReason(output: string): string
export function installElectron(options: {
  root: string
  env?: NodeJS.ProcessEnv
  log: ElectronInstallLog
}): Promise<{ ok: true } | { ok: false; reason: string }>
