import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'

/** The key of requests that came without a socket: app.request() in tests, other runtimes. */
export const UNKNOWN_ADDRESS = 'unknown'

/**
 * The peer address of the TCP connection. Never X-Forwarded-For or Forwarded: any client can
 * write those, and the factory is not behind a proxy it could trust to set them.
 */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? UNKNOWN_ADDRESS
  } catch {
    return UNKNOWN_ADDRESS // no node socket behind this request
  }
}
