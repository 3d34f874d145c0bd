import { ModelStore } from '../store/index.ts'
import type { ModelStoreLike } from '../host/store-service.ts'

/**
 * The engine's model store for the app: models under <root>/models (root = userData, or SMOLVLM_HOME to share
 * the command line's store). Downloads run in the main process: network and disk I/O, never inference.
 */
export async function createModelStore(root: string): Promise<ModelStoreLike> {
  return new ModelStore({ root })
}
