import net from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { resolveModelDir } from '../../src/cli/model-arg.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { ModelStore } from '../../src/store/index.ts'
import { collect } from '../support/collect.ts'
import { loadReference, modelDir, requestFor } from '../support/reference.ts'
import { FakeHub } from './hub-server.ts'

/** Captioning with an installed model, from resolving it to the last token, opens no network connection. */
let root: string
let watcher: FakeHub
const saved = { home: process.env['SMOLVLM_HOME'], hub: process.env['SMOLVLM_HUB_URL'] }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'smolvlm-offline-'))
  watcher = await new FakeHub().start()
  process.env['SMOLVLM_HOME'] = root
  // A "hub" that only counts: any connection to it would be a failure.
  process.env['SMOLVLM_HUB_URL'] = watcher.url
})

afterAll(async () => {
  vi.restoreAllMocks()
  for (const [key, value] of [
    ['SMOLVLM_HOME', saved.home],
    ['SMOLVLM_HUB_URL', saved.hub]
  ] as const) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  await watcher.close()
  await rm(root, { recursive: true, force: true })
})

it('describes an image with a store model without opening a socket', async () => {
  const installed = await new ModelStore({ root }).importFolder(modelDir('tiny-gqa'), { mode: 'in-place' })
  const connect = vi.spyOn(net.Socket.prototype, 'connect')
  const square = loadReference('tiny-gqa').cases.find((c) => c.name === 'describe-square')!

  const model = await SmolVLM.load(await resolveModelDir(installed.id), { device: 'cpu' })
  const { done } = await collect(model.describe(requestFor(square)))
  await model.dispose()

  expect(done.tokenIds).toEqual(square.generated_ids)
  expect(connect).not.toHaveBeenCalled()
  expect(watcher.connections).toBe(0)
})
