import type { Context, MiddlewareHandler } from 'hono'
import { connectionOf } from './connection.ts'
import { truncate } from './error-handler.ts'
import { ForbiddenError } from './http-error.ts'
import { isLoopbackHost } from './loopback-host.ts'

/**
 * Lets through only requests from this machine, for endpoints that steer a demo (its control
 * endpoints): the connection's peer address is loopback, read from the socket, never from a
 * header any client can write. The Host must name this machine too: a web page whose name was
 * rebound to 127.0.0.1 (DNS rebinding) reaches loopback through the learner's own browser, with
 * its own name in Host. Anything else is a 403 JSON answer; the handler never runs.
 */
export function loopbackOnly(what: string): MiddlewareHandler {
  return async function requireLoopback(c, next) {
    if (!connectionOf(c).loopback) {
      throw new ForbiddenError(`${what} answers callers on this machine only`)
    }
    refuseForeignHost(c, `${what} answers requests for localhost only`)
    await next()
  }
}

/**
 * A 403 unless the request's Host names this machine (localhost, 127.0.0.1, [::1]): the DNS
 * rebinding half of loopbackOnly, for a request that steers a demo elsewhere than /control.
 */
export function refuseForeignHost(c: Context, refusal: string): void {
  if (!namesThisMachine(c)) {
    const host = c.req.header('host') ?? ''
    throw new ForbiddenError(`${refusal}, not Host ${JSON.stringify(truncate(host, 100))}`)
  }
}

/** Whether the request's Host names this machine: localhost, 127.0.0.1, [::1]. */
export const namesThisMachine = (c: Context): boolean =>
  isLoopbackHost(hostName(c.req.header('host') ?? ''))

/** The name part of a Host header (`localhost:5555`, `[::1]:5555`); '' when it is not one. */
function hostName(host: string): string {
  try {
    return new URL(`http://${host}`).hostname
  } catch {
    return ''
  }
}
