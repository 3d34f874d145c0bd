import { readFileSync } from 'node:fs'

/** The package's own scripts that run this CLI (`npm run caption -- …`, `npm run smolvlm -- …`). */
const OWN_SCRIPTS = new Set(['caption', 'smolvlm'])

/**
 * The folder relative paths on the command line mean. `npm run` starts a script in the package's root and
 * records the folder it was typed in as INIT_CWD; for this package's own scripts that folder is the user's,
 * so images, --model, --inputs and --dump-inputs resolve against it. Anything else (npx, the installed bin,
 * another package's script that calls `smolvlm`) keeps the working directory it was given.
 */
export function userFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['npm_package_name'] !== 'smolvlm-desktop') return undefined
  if (!OWN_SCRIPTS.has(env['npm_lifecycle_event'] ?? '')) return undefined
  return env['INIT_CWD'] || undefined
}

/** The version in package.json, for `smolvlm --version`. */
export function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown
  }
  return typeof json.version === 'string' ? json.version : 'unknown'
}
