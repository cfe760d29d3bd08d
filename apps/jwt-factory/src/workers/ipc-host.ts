import type { IpcChannel } from './ipc-message.ts'
import { toWireError } from './wire-error.ts'

export type IpcHandler = (...args: never[]) => unknown

/**
 * The primary's side: answers each worker's calls with the handler of the method, and publishes
 * events to every worker attached. A method it does not know is a failure, never silence.
 */
export class IpcHost {
  readonly #handlers = new Map<string, IpcHandler>()
  readonly #channels = new Map<IpcChannel, () => void>()

  handle(method: string, handler: IpcHandler): void {
    if (this.#handlers.has(method)) throw new TypeError(`IpcHost: ${method} is handled already`)
    this.#handlers.set(method, handler)
  }

  /** Serves the worker at the other end of `channel` until detach(channel). */
  attach(channel: IpcChannel): void {
    const unlisten = channel.listen((message) => {
      if (message.jf !== 'call') return
      const { id, method, args } = message
      const handler = this.#handlers.get(method)
      const run = async () => {
        if (!handler) throw new Error(`the primary has no method ${method}`)
        return (handler as (...a: unknown[]) => unknown)(...args)
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
  }

  /** To every worker attached now. */
  publish(topic: string, payload?: unknown): void {
    for (const channel of this.#channels.keys()) channel.send({ jf: 'event', topic, payload })
  }
}
