import type {
  FolderMetrics,
  RunnerFolder,
  RunnerInit,
  RunnerReply,
  RunnerRequest,
  RunnerRun,
  RunMetrics
} from './protocol.ts'
import { peakRssMb } from './memory.ts'

/** The child side of a runner: answers init / run / folder / exit messages from the orchestrator over IPC. */
export function serveRunner(handlers: {
  init(request: RunnerInit): Promise<{ loadMs: number; provider: string; peakRssMb: number }>
  run(request: RunnerRun): Promise<RunMetrics>
  /** Describes every image of the folder request; the host times it. */
  folder(request: RunnerFolder): Promise<void>
}): void {
  const reply = (message: RunnerReply) => process.send?.(message)
  process.on('message', (message: RunnerRequest) => {
    void (async () => {
      try {
        if (message.type === 'exit') process.exit(0)
        if (message.type === 'init') reply({ type: 'ready', ...(await handlers.init(message)) })
        if (message.type === 'run') reply({ type: 'result', metrics: await handlers.run(message) })
        if (message.type === 'folder')
          reply({ type: 'folder-result', metrics: await timeFolder(handlers, message) })
      } catch (error) {
        reply({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error)
        })
      }
    })()
  })
}

async function timeFolder(
  handlers: { folder(request: RunnerFolder): Promise<void> },
  request: RunnerFolder
): Promise<FolderMetrics> {
  const start = performance.now()
  await handlers.folder(request)
  const totalMs = performance.now() - start
  return {
    images: request.images.length,
    totalMs,
    imagesPerMinute: (request.images.length * 60_000) / totalMs,
    peakRssMb: peakRssMb()
  }
}
