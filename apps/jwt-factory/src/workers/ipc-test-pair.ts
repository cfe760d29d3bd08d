import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { IpcClient } from './ipc-client.ts'
import type { IpcHost } from './ipc-host.ts'
import { isIpcMessage, type IpcChannel } from './ipc-message.ts'

/**
 * For the tests of the IPC pieces: a primary's host and its workers' clients in one process,
 * each pair joined by a real MessageChannel, whose structured clone is the serialization the
 * cluster's channel uses (`serialization: 'advanced'`): what does not survive it fails here too.
 */
export interface TestWorker {
  client: IpcClient
  /** The worker's end closes: what the primary's death looks like to it. */
  disconnect(): void
}

const portChannel = (port: MessagePort): IpcChannel => ({
  send: (message) => port.postMessage(message),
  listen(onMessage) {
    const listener = (message: unknown) => {
      if (isIpcMessage(message)) onMessage(message)
    }
    port.on('message', listener)
    return () => port.off('message', listener)
  },
})

const opened = new Set<MessageChannel>()

export function attachTestWorker(host: IpcHost): TestWorker {
  const pair = new MessageChannel()
  opened.add(pair)
  const hostEnd = portChannel(pair.port2)
  host.attach(hostEnd)
  const client = new IpcClient(portChannel(pair.port1))
  return {
    client,
    disconnect() {
      host.detach(hostEnd)
      client.disconnected()
    },
  }
}

/** For afterEach: closes every pair, so no port keeps the test process alive. */
export function closeTestWorkers(): void {
  for (const pair of opened) {
    pair.port1.close()
    pair.port2.close()
  }
  opened.clear()
}
