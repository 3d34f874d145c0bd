// Types for standin-electron.js (plain Node, run without a build step by npm run dist:dir).

/** The marker @electron/fuses looks for in an Electron executable; the fuse wire follows it. */
export const FUSE_SENTINEL: string
/** The version of the installed electron package. */
export function electronVersion(): string
/** Writes a stand-in Electron distribution into `dir` (emptied first) and returns `dir`. */
export function makeStandinElectron(dir: string): string
