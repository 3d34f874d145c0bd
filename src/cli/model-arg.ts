import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { SmolvlmError } from '../engine/errors.ts'
import { defaultStoreRoot, isCatalogId, isRepoId, ModelStore } from '../store/index.ts'

/** A catalog id (smolvlm-256m) or a hub repository id (owner/name), optionally @revision. */
function looksLikeModelId(arg: string): boolean {
  const at = arg.lastIndexOf('@')
  const base = at > 0 ? arg.slice(0, at) : arg
  return isCatalogId(base.toLowerCase()) || isRepoId(base)
}

/**
 * `--model` names a folder; otherwise a catalog id or owner/name is resolved by the model store in
 * $SMOLVLM_HOME. Never touches the network: a model that is not installed is an error naming the pull command.
 */
export async function resolveModelDir(arg: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = resolve(arg)
  try {
    if ((await stat(dir)).isDirectory()) return dir
  } catch {
    // not a folder: fall through
  }
  if (!looksLikeModelId(arg)) throw new SmolvlmError('model-missing', `${arg} is not a model folder.`)
  const model = await new ModelStore({ root: defaultStoreRoot(env) }).resolve(arg)
  if (!model) {
    throw new SmolvlmError('model-missing', `${arg} is not installed; run: smolvlm models pull ${arg}`)
  }
  if (Object.values(model.sessionVariants).some((variants) => variants.length === 0)) {
    throw new SmolvlmError(
      'model-corrupt',
      `${arg} is installed in ${model.dir} but damaged (${(model.problems[0] ?? 'files are missing').replace(/\.$/, '')}); ` +
        `run: smolvlm models pull ${arg} to repair it.`
    )
  }
  return model.dir
}
