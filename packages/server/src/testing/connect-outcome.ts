import { connect } from 'node:net'

/**
 * Whether a TCP connection to 127.0.0.1:port is accepted: 'connected' or the error code. Tests of
 * a graceful stop use it to see that new connections are refused while answers are still going out.
 */
export function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}
