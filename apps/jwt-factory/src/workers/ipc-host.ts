import type { IpcChannel } from './ipc-message.ts'
import { toWireError } from './wire-error.ts'

export type IpcHandler = (...args: never[]) => unknown

/** Who called: a handler passes it to deliver() as `last`, so the caller learns of its change last. */
export interface IpcCall {
  caller: IpcChannel
}

/**
 * How long a delivery waits for a worker's ack at most: a worker that hangs must not hold every
 * write up. It is then as behind as a watch would leave it, and catches up on its own.
 */
const DELIVERY_BOUND_MS = 2000

/**
 * The primary's side: answers each worker's calls with the handler of the method, and publishes
 * events to every worker attached. A method it does not know is a failure, never silence.
 */
export class IpcHost {
  readonly #handlers = new Map<string, IpcHandler>()
  readonly #channels = new Map<IpcChannel, () => void>()
  /** Deliveries waiting for acks: ack id → the channels not yet answered, and the end. */
  readonly #deliveries = new Map<number, { waiting: Set<IpcChannel>; done: () => void }>()
  #nextAck = 1

  handle(method: string, handler: IpcHandler): void {
    if (this.#handlers.has(method)) throw new TypeError(`IpcHost: ${method} is handled already`)
    this.#handlers.set(method, handler)
  }

  /** Serves the worker at the other end of `channel` until detach(channel). */
  attach(channel: IpcChannel): void {
    const unlisten = channel.listen((message) => {
      if (message.jf === 'ack') return this.#acked(message.ack, channel)
      if (message.jf !== 'call') return
      const { id, method, args } = message
      const handler = this.#handlers.get(method)
      const call: IpcCall = { caller: channel }
      const run = async () => {
        if (!handler) throw new Error(`the primary has no method ${method}`)
        return (handler as (this: IpcCall, ...a: unknown[]) => unknown).apply(call, args)
      }
      run().then(
        (value) => channel.send({ jf: 'result', id, value }),
        (err: unknown) => channel.send({ jf: 'failure', id, error: toWireError(err) }),
      )
    })
    this.#channels.set(channel, unlisten)
  }

  detach(channel: IpcChannel): void {
    this.#channels.get(channel)?.()
    this.#channels.delete(channel)
    for (const ack of [...this.#deliveries.keys()]) this.#acked(ack, channel)
  }

  /** To every worker attached now. */
  publish(topic: string, payload?: unknown): void {
    for (const channel of this.#channels.keys()) channel.send({ jf: 'event', topic, payload })
  }

  /**
   * To every worker attached now, resolved once each took it in (acked) or is gone: a write
   * answered after this is known at every worker, whichever the next request reaches. `last`
   * (the worker that made the change) is told only once every other worker holds it: it starts
   * using what it changed (a new key signs) when no other worker can still be without it.
   */
  async deliver(topic: string, payload?: unknown, last?: IpcChannel): Promise<void> {
    const others = [...this.#channels.keys()].filter((channel) => channel !== last)
    await this.#deliverTo(others, topic, payload)
    if (last && this.#channels.has(last)) await this.#deliverTo([last], topic, payload)
  }

  #deliverTo(channels: IpcChannel[], topic: string, payload: unknown): Promise<void> {
    const ack = this.#nextAck++
    const waiting = new Set(channels)
    if (waiting.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#end(ack), DELIVERY_BOUND_MS)
      timer.unref()
      this.#deliveries.set(ack, {
        waiting,
        done: () => {
          clearTimeout(timer)
          resolve()
        },
      })
      for (const channel of waiting) channel.send({ jf: 'event', topic, payload, ack })
    })
  }

  #acked(ack: number, channel: IpcChannel): void {
    const delivery = this.#deliveries.get(ack)
    if (!delivery) return
    delivery.waiting.delete(channel)
    if (delivery.waiting.size === 0) this.#end(ack)
  }

  #end(ack: number): void {
    const delivery = this.#deliveries.get(ack)
    this.#deliveries.delete(ack)
    delivery?.done()
  }
}
