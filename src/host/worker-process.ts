import type { MainToWorker } from '../shared/contract.ts'

/**
 * Why a worker process ended. Electron's child-process-gone reasons where known (crashed, oom, killed,
 * launch-failed, …); under Node: clean-exit, killed (by a signal) or crashed (a non-zero exit code).
 */
export interface WorkerExit {
  readonly code: number | null
  readonly signal: string | null
  readonly reason: string
}

/** One started worker process, whatever started it. `Port` is the transport's MessagePort type (never under Node). */
export interface WorkerProcess<Port = never> {
  readonly pid: number | undefined
  /** Sends a message; a describe may carry the job's port, a describe-batch one per job in order (Electron). */
  send(message: MainToWorker, ports?: readonly Port[]): void
  /** Ends the process now (no goodbye: the model's memory goes with it). */
  kill(): void
  onMessage(listener: (data: unknown) => void): void
  /** Called once when the process has ended, for whatever reason. */
  onExit(listener: (exit: WorkerExit) => void): void
}

/** Starts worker processes: Electron's utilityProcess in the app, child_process.fork under Node. */
export interface WorkerLauncher<Port = never> {
  launch(): WorkerProcess<Port>
}
