import { ipcMain, MessageChannelMain } from 'electron'
import type { MessagePortMain, WebContents } from 'electron'
import type { AppHost } from '../host/app-host.ts'
import type { JobChannel } from '../host/supervisor.ts'
import type { PushEvent, PushPayload } from '../shared/contract.ts'
import { API_METHODS, invokeChannel, JOB_PORT_CHANNEL, pushChannel } from '../shared/contract.ts'
import type { AppOrigin } from './security.ts'

/**
 * A job's channel: a MessageChannelMain whose one end goes to the renderer now and the other to the worker with
 * the job, so tokens flow worker → renderer without the main process. Events the host makes itself (the worker
 * died, the job was cancelled before it was sent) go to the renderer on the job-event push channel.
 */
function openJobChannel(sender: WebContents, jobId: string): JobChannel<MessagePortMain> {
  const { port1, port2 } = new MessageChannelMain()
  sender.postMessage(JOB_PORT_CHANNEL, { jobId }, [port2])
  return {
    port: port1,
    emit: (event) => {
      if (!sender.isDestroyed()) sender.send(pushChannel('job-event'), { jobId, event })
    }
  }
}

/** One ipcMain.handle per API method. Every call's sender frame is checked before the host sees the payload. */
export function registerIpc(
  host: AppHost<MessagePortMain>,
  origin: AppOrigin,
  log: (line: string) => void
): void {
  for (const method of API_METHODS) {
    ipcMain.handle(invokeChannel(method), (event, payload: unknown) => {
      if (!origin.isTrustedFrame(event.senderFrame)) {
        log(`refused ${method} from ${event.senderFrame?.url ?? 'a destroyed frame'}`)
        return {
          ok: false,
          error: { code: 'invalid-message', message: 'Refused: the request did not come from the app page.' }
        }
      }
      return host.handle(method, payload, { openJob: (jobId) => openJobChannel(event.sender, jobId) })
    })
  }
}

export function unregisterIpc(): void {
  for (const method of API_METHODS) ipcMain.removeHandler(invokeChannel(method))
}

/** Sends a push event to the page, if it is still there. */
export function push<E extends PushEvent>(
  contents: WebContents | undefined,
  event: E,
  payload: PushPayload<E>
): void {
  if (contents && !contents.isDestroyed()) contents.send(pushChannel(event), payload)
}
