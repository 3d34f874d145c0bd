import { isSmolvlmError } from '../engine/errors.ts'
import { CAPTION_USAGE, runCaption } from './caption.ts'
import { runModels } from './models.ts'
import { LIBRARY_USAGE, runLibrary, runSearch, SEARCH_USAGE } from './search.ts'
import { packageVersion, userFolder } from './npm-cwd.ts'
import { runWatch, WATCH_USAGE } from './watch.ts'
import { UsageError } from './usage.ts'

const USAGE = `Usage: smolvlm <command> [options]

Commands:
  caption <image|folder...>  describe images (smolvlm caption --help for options)
  watch <folder>             describe the images that land in a folder, until Ctrl-C (smolvlm watch --help)
  models <command>           list, pull, verify, rm, import, du (smolvlm models --help)
  search <words...>          find images by the words of their kept captions (smolvlm search --help)
  library path|count|clear   the caption library

  --version                  print the version
`

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  const folder = userFolder()
  if (folder) process.chdir(folder)
  if (command === '--version' || (command === 'caption' && rest.includes('--version'))) {
    process.stdout.write(`smolvlm ${packageVersion()}\n`)
    return 0
  }
  if (command === 'caption') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(CAPTION_USAGE)
      return 0
    }
    return runCaption(rest)
  }
  if (command === 'watch') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(WATCH_USAGE)
      return 0
    }
    return runWatch(rest)
  }
  if (command === 'models') return runModels(rest)
  if (command === 'search') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(SEARCH_USAGE)
      return 0
    }
    return runSearch(rest)
  }
  if (command === 'library') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(LIBRARY_USAGE)
      return 0
    }
    return runLibrary(rest)
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return command === undefined ? 2 : 0
  }
  throw new UsageError(`Unknown command "${command}".`)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`smolvlm: ${error.message}\nRun "smolvlm --help" for usage.\n`)
      process.exitCode = 2
    } else if (isSmolvlmError(error)) {
      process.stderr.write(`smolvlm: ${error.message}\n`)
      process.exitCode = 2
    } else {
      process.stderr.write(
        `smolvlm: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
      )
      process.exitCode = 70
    }
  }
)
