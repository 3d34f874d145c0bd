import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Every test file gets its own store root (models, caption library): the CLI and the worker the tests start inherit
// it, so a test run never writes into the runner's ~/.local/share/smolvlm. Tests that need another root set their own.
process.env['SMOLVLM_HOME'] = mkdtempSync(join(tmpdir(), 'smolvlm-test-home-'))
