import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ModelStore } from '../../src/store/index.ts'
import type { PullProgress, StoreOptions } from '../../src/store/index.ts'
import { FakeHub, sha256 } from './hub-server.ts'
import type { FakeHubOptions } from './hub-server.ts'

export const REPO = 'test/tiny-smolvlm'

export interface Harness {
  readonly hub: FakeHub
  readonly root: string
  readonly temp: string
  store(options?: Partial<StoreOptions>): ModelStore
  cleanup(): Promise<void>
}

/** A fake hub on 127.0.0.1 and an empty store root; retries are immediate so fault tests take milliseconds. */
export async function harness(options: FakeHubOptions = {}): Promise<Harness> {
  const temp = await mkdtemp(path.join(tmpdir(), 'smolvlm-store-'))
  const hub = await new FakeHub(options).start()
  const root = path.join(temp, 'home')
  return {
    hub,
    root,
    temp,
    store: (overrides = {}) =>
      new ModelStore({
        root,
        hubUrl: hub.url,
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
        progressIntervalMs: 0,
        diskReserveBytes: 0,
        ...overrides
      }),
    cleanup: async () => {
      await hub.close()
      await rm(temp, { recursive: true, force: true })
    }
  }
}

/** Collects progress events. */
export function recorder(): { events: PullProgress[]; onProgress: (p: PullProgress) => void } {
  const events: PullProgress[] = []
  return { events, onProgress: (p) => events.push(p) }
}

/** sha256 of a file in a model folder (comparing hashes keeps big buffers out of deep-equality diffs). */
export async function sha256Of(dir: string, repoPath: string): Promise<string> {
  return sha256(await readFile(path.join(dir, ...repoPath.split('/'))))
}
