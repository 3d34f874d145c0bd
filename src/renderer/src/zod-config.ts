/**
 * Imported first by main.tsx, before any module that builds a schema. zod compiles object parsers with
 * `new Function` when it may, and probes for that by trying it once; under the app's CSP (no 'unsafe-eval') the
 * probe is refused and reported as a policy violation. The page never needs compiled parsers, so it opts out.
 */
import { config } from 'zod'

config({ jitless: true })
