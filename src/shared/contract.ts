/**
 * The one contract for every process boundary (renderer ↔ preload ↔ main ↔ worker): zod schemas and the
 * types inferred from them. Every message that crosses a boundary is parsed with one of these before anyone
 * acts on it; a message that fails is rejected with an 'invalid-message' error that says what was wrong.
 */
export * from './limits.ts'
export * from './errors.ts'
export * from './images.ts'
export * from './model.ts'
export * from './jobs.ts'
export * from './results.ts'
export * from './settings.ts'
export * from './store.ts'
export * from './library.ts'
export * from './watch.ts'
export * from './worker-protocol.ts'
export * from './ipc.ts'
export * from './csp.ts'
