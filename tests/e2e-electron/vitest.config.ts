import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

// Run by scripts/run-e2e.js (npm run test:e2e) after a build; `npm test` does not include these files.
export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['tests/e2e-electron/**/*.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
