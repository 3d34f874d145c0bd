#!/usr/bin/env node
// The package's `smolvlm` command: runs the TypeScript CLI through tsx, so it works straight from a
// clone without a build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/index.ts')
