import { useSyncExternalStore } from 'react'
import type { QueueController } from '../state/queue-controller.ts'
import type { QueueState } from '../state/queue.ts'

export function useQueue(controller: QueueController): QueueState {
  return useSyncExternalStore(controller.subscribe, controller.getState)
}
