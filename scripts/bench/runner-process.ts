import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FolderMetrics, RunMetrics, RunnerReply, RunnerRequest } from './protocol.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))

export type Implementation = 'ours' | 'transformersjs'

/** One implementation in its own process (so its peak RSS is its own), driven over IPC. */
export class Runner {
  private readonly child: ChildProcess
  private pending: ((reply: RunnerReply) => void) | undefined

  constructor(readonly implementation: Implementation) {
    const script = implementation === 'ours' ? 'runner-ours.ts' : 'runner-transformersjs.ts'
    this.child = fork(join(HERE, script), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc']
    })
    this.child.on('message', (reply: RunnerReply) => this.pending?.(reply))
    this.child.on('exit', (code) => {
      if (code !== 0 && this.pending)
        this.pending({ type: 'error', message: `${implementation} runner exited (${code})` })
    })
  }

  request(message: RunnerRequest): Promise<RunnerReply> {
    return new Promise((resolvePromise) => {
      this.pending = resolvePromise
      this.child.send(message)
    })
  }

  async run(message: RunnerRequest): Promise<RunMetrics> {
    const reply = await this.request(message)
    if (reply.type === 'error') throw new Error(`${this.implementation}: ${reply.message}`)
    if (reply.type !== 'result') throw new Error(`${this.implementation}: unexpected ${reply.type}`)
    return reply.metrics
  }

  async folder(message: Extract<RunnerRequest, { type: 'folder' }>): Promise<FolderMetrics> {
    const reply = await this.request(message)
    if (reply.type === 'error') throw new Error(`${this.implementation}: ${reply.message}`)
    if (reply.type !== 'folder-result') throw new Error(`${this.implementation}: unexpected ${reply.type}`)
    return reply.metrics
  }

  close(): void {
    this.child.send({ type: 'exit' })
  }
}
