import { join } from 'node:path'

/** The library's file under a data folder: the CLI's store root (SMOLVLM_HOME when set) or the app's user data. */
export function libraryFile(dataRoot: string): string {
  return join(dataRoot, 'library', 'captions.sqlite')
}
