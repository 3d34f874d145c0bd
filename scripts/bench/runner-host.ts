import type { RunnerReply, RunnerRequest, RunMetrics, RunnerInit, RunnerRun } from './protocol.ts'

/** The child side of a runner: answers init / run / exit messages from the orchestrator over IPC. */
export function serveRunner(handlers: {
  init(request: RunnerInit): Promise<{ loadMs: number; provider: string; peakRssMb: number }>
  run(request: RunnerRun): Promise<RunMetrics>
}): void {
  const reply = (message: RunnerReply) => process.send?.(message)
  process.on('message', (message: RunnerRequest) => {
    void (async () => {
      try {
        if (message.type === 'exit') process.exit(0)
        if (message.type === 'init') reply({ type: 'ready', ...(await handlers.init(message)) })
        if (message.type === 'run') reply({ type: 'result', metrics: await handlers.run(message) })
      } catch (error) {
        reply({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error)
        })
      }
    })()
  })
}
