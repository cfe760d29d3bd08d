import { request } from 'node:http'
import { networkInterfaces } from 'node:os'

export interface RequestFromOptions {
  port: number
  path: string
  method?: string
  /** The socket's own address: this machine's non-loopback one plays "another machine". */
  localAddress?: string
  headers?: Record<string, string>
  body?: string
}

/**
 * One plain-HTTP request to 127.0.0.1:port over a fresh socket, with any Host and source address.
 * A socket bound to this machine's non-loopback address reaches a loopback listener without a
 * packet leaving the host, and the server sees a peer beyond loopback.
 */
export function requestFrom(
  options: RequestFromOptions,
): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  const { port, path, method = 'GET', localAddress, headers = {}, body } = options
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers,
        agent: false,
        timeout: 5000,
        ...(localAddress ? { localAddress } : {}),
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text === '' ? null : (JSON.parse(text) as unknown),
          }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer from port ${port}`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** This machine's first non-loopback IPv4 address, if it has one (tests skip without it). */
export function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address
}
