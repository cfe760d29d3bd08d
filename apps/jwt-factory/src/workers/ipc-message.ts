import type { WireError } from './wire-error.ts'

/**
 * What the factory's processes say to each other over the cluster's IPC channel (advanced
 * serialization: Maps and undefined survive). Calls go from a worker to the primary, which owns
 * the files store; events go from the primary to every worker.
 */
export type IpcMessage =
  | { jf: 'call'; id: number; method: string; args: unknown[] }
  | { jf: 'result'; id: number; value: unknown }
  | { jf: 'failure'; id: number; error: WireError }
  /** With `ack`: the worker answers it once its listeners took the event in. */
  | { jf: 'event'; topic: string; payload: unknown; ack?: number }
  | { jf: 'ack'; ack: number }
  /** A worker serves: its servers' URLs, for the primary's one "listening" line. */
  | { jf: 'listening'; urls: string[] }
  /** A worker could not start: why, for the primary to say once, not once per worker. */
  | { jf: 'failed'; message: string }
  /** The primary stops: the worker closes its servers and exits. */
  | { jf: 'stop' }

/** One end of the channel: a cluster worker seen from the primary, or the worker's `process`. */
export interface IpcChannel {
  send(message: IpcMessage): void
  /** Every factory message from the other end; returns the unsubscribe. */
  listen(onMessage: (message: IpcMessage) => void): () => void
}

/** Node's own messages (cluster's) and anything else share the channel: only ours pass. */
export function isIpcMessage(value: unknown): value is IpcMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { jf?: unknown }).jf === 'string'
  )
}

interface MessagePort {
  send?: ((message: IpcMessage, callback: (err: Error | null) => void) => unknown) | undefined
  on(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
}

/** A message to a process that is gone is dropped: its callers learn of it by its exit. */
const dropped = () => {}

/** The channel of a cluster worker (in the primary) or of `process` (in a worker). */
export function processChannel(port: MessagePort): IpcChannel {
  return {
    send(message) {
      try {
        // With a callback, a closed channel is reported there, not as an 'error' event.
        port.send?.(message, dropped)
      } catch {
        dropped() // closed before the send: the same
      }
    },
    listen(onMessage) {
      const listener = (message: unknown) => {
        if (isIpcMessage(message)) onMessage(message)
      }
      port.on('message', listener)
      return () => port.off('message', listener)
    },
  }
}
