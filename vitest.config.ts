import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/support/isolated-home.ts'],
    // Model sessions are CPU-heavy on a 2-core machine; files run one at a time per worker.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
