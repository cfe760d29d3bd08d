import { StoreUnavailableError } from '../stores/store-unavailable.ts'
import type { IpcChannel, IpcMessage } from './ipc-message.ts'
import { fromWireError, type RemakeFormatError } from './wire-error.ts'

/** What a worker calls the primary in errors: the store is there, behind it. */
export const PRIMARY = "the factory's primary process"

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  remake: RemakeFormatError | undefined
}

/**
 * A worker's side of the channel: calls to the primary (each answered once, by id) and the
 * events it publishes. When the primary is gone every call fails as a store that cannot be
 * reached would (503), and what is in memory keeps serving until the worker stops.
 */
export class IpcClient {
  readonly #channel: IpcChannel
  readonly #pending = new Map<number, Pending>()
  readonly #topics = new Map<string, Set<(payload: unknown) => unknown>>()
  readonly #unlisten: () => void
  #nextId = 1
  #gone = false

  constructor(channel: IpcChannel) {
    this.#channel = channel
    this.#unlisten = channel.listen((message) => this.#receive(message))
  }

  /** `remake` re-makes a document's format error, so it is thrown as the local source would. */
  call<T>(method: string, args: unknown[], remake?: RemakeFormatError): Promise<T> {
    if (this.#gone) return Promise.reject(this.#unavailable())
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, remake })
      this.#channel.send({ jf: 'call', id, method, args })
    })
  }

  /**
   * Calls `listener` with each payload the primary publishes under `topic`. A delivery is acked
   * once every listener's promise settled and what they started in the same turn ran.
   */
  subscribe<T>(topic: string, listener: (payload: T) => unknown): { close(): void } {
    const listeners = this.#topics.get(topic) ?? new Set()
    this.#topics.set(topic, listeners)
    const entry = listener as (payload: unknown) => unknown
    listeners.add(entry)
    return { close: () => listeners.delete(entry) }
  }

  /** The channel closed: every call waiting, and every later one, fails. */
  disconnected(): void {
    this.#gone = true
    this.#unlisten()
    for (const { reject } of this.#pending.values()) reject(this.#unavailable())
    this.#pending.clear()
  }

  #receive(message: IpcMessage): void {
    if (message.jf === 'event') {
      const { topic, payload, ack } = message
      const taken = [...(this.#topics.get(topic) ?? [])].map(async (listener) => listener(payload))
      // A listener's failure is its own to report; the delivery is acked all the same.
      void Promise.allSettled(taken).then(() => {
        if (ack === undefined) return
        // After the microtasks the listeners queued: a store's reload from memory is done.
        setImmediate(() => this.#channel.send({ jf: 'ack', ack }))
      })
      return
    }
    if (message.jf !== 'result' && message.jf !== 'failure') return
    const pending = this.#pending.get(message.id)
    if (!pending) return
    this.#pending.delete(message.id)
    if (message.jf === 'result') pending.resolve(message.value)
    else pending.reject(fromWireError(message.error, pending.remake))
  }

  #unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(PRIMARY, 'this worker is no longer connected to it')
  }
}
