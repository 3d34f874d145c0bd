import net from 'node:net'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resolveModelDir } from '../../src/cli/model-arg.ts'
import { SmolvlmError } from '../../src/engine/errors.ts'
import { openModelFolder } from '../../src/engine/model-files.ts'
import { ModelStore } from '../../src/store/index.ts'
import { tinyRepoFiles } from './fake-repo.ts'
import { harness, REPO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { FakeHub } from './hub-server.ts'

let h: Harness
let watcher: FakeHub
let installedDir: string
const saved = { home: process.env['SMOLVLM_HOME'], hub: process.env['SMOLVLM_HUB_URL'] }

beforeEach(async () => {
  h = await harness()
  h.hub.addCommit(REPO, tinyRepoFiles())
  installedDir = (await h.store().pull(REPO, { variant: 'q4' })).dir
  // From here on the "hub" is a server that only counts: any connection to it is a failure.
  watcher = await new FakeHub().start()
  process.env['SMOLVLM_HOME'] = h.root
  process.env['SMOLVLM_HUB_URL'] = watcher.url
})

afterEach(async () => {
  vi.restoreAllMocks()
  for (const [key, value] of [
    ['SMOLVLM_HOME', saved.home],
    ['SMOLVLM_HUB_URL', saved.hub]
  ] as const) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  await watcher.close()
  await h.cleanup()
})

describe('the model resolution that captioning uses', () => {
  it('opens no socket: resolveModelDir + openModelFolder of an installed model, with SMOLVLM_HUB_URL set', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect')
    const dir = await resolveModelDir(REPO)
    const files = await openModelFolder(dir, 'q4')
    const model = await new ModelStore({ root: h.root }).resolve(REPO)
    expect(dir).toBe(installedDir)
    expect(files.sessions.decoder_model_merged.path).toBe(
      path.join(installedDir, 'onnx', 'decoder_model_merged_q4.onnx')
    )
    expect(model?.variants).toEqual(['q4'])
    expect(watcher.connections).toBe(0)
    expect(connect).not.toHaveBeenCalled()
  })

  it('answers a pull of an installed variant from disk, without a connection', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect')
    const model = await new ModelStore({ root: h.root }).pull(REPO, { variant: 'q4' })
    expect(model.dir).toBe(installedDir)
    expect(watcher.connections).toBe(0)
    expect(connect).not.toHaveBeenCalled()
  })

  it('names the pull command for a catalog model that is not installed, without trying the network', async () => {
    const error = await resolveModelDir('smolvlm-256m').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SmolvlmError)
    expect((error as SmolvlmError).code).toBe('model-missing')
    expect((error as SmolvlmError).message).toBe(
      'smolvlm-256m is not installed; run: smolvlm models pull smolvlm-256m'
    )
    expect(watcher.connections).toBe(0)
  })

  it('says an installed model is damaged when its files are gone', async () => {
    await rm(path.join(installedDir, 'onnx', 'embed_tokens_q4.onnx'))
    const error = (await resolveModelDir(REPO).catch((e: unknown) => e)) as SmolvlmError
    expect(error.code).toBe('model-corrupt')
    expect(error.message).toBe(
      `${REPO} is installed in ${installedDir} but damaged (onnx/embed_tokens_q4.onnx is missing); ` +
        `run: smolvlm models pull ${REPO} to repair it.`
    )
  })

  it('still takes a folder path first', async () => {
    expect(await resolveModelDir(installedDir)).toBe(installedDir)
    const error = (await resolveModelDir('./no/such/folder/here').catch((e: unknown) => e)) as SmolvlmError
    expect(error.message).toBe('./no/such/folder/here is not a model folder.')
  })
})
