import type { Context, MiddlewareHandler } from 'hono'
import { connectionOf } from './connection.ts'
import { BadRequestError, GatewayTimeoutError } from './http-error.ts'

/**
 * Faults a learner asks for on one request (`?fault=` on a scenario), carried to every hop in
 * this header, as a mesh injects them (Istio's fault injection), but at the real process:
 * - `freeze:<process>`: that process takes the request and never answers it, so its caller's
 *   own timeout ends the wait and answers 504 naming it;
 * - `jwks:slow` / `jwks:failing`: the verifier fetches the key set afresh for this request, and
 *   the factory's JWKS answers it only after the caller gave up, or with a 503.
 * Honoured only from a caller on this machine: nobody beyond it can make a process hold requests.
 */
export const FAULT_HEADER = 'x-fault'

export type InjectedFault =
  | { kind: 'freeze'; process: string; value: string }
  | { kind: 'jwks'; mode: 'slow' | 'failing'; value: string }

export const FREEZABLE = ['jwt-factory', 'serviceb', 'servicec'] as const
const FAULT = /^(?:freeze:(jwt-factory|serviceb|servicec)|jwks:(slow|failing))$/

/** A fault named by `value`; undefined when it names none. */
export function parseFault(value: string | undefined): InjectedFault | undefined {
  const match = value === undefined ? null : FAULT.exec(value)
  if (!match) return undefined
  return match[1]
    ? { kind: 'freeze', process: match[1], value: match[0] }
    : { kind: 'jwks', mode: match[2] as 'slow' | 'failing', value: match[0] }
}

/** `?fault=` as servicea reads it: absent, one of the faults, or a 400 naming them. */
export function requestedFault(query: string | undefined): InjectedFault | undefined {
  if (query === undefined) return undefined
  const fault = parseFault(query)
  if (!fault) {
    const names = [...FREEZABLE.map((p) => `freeze:${p}`), 'jwks:slow', 'jwks:failing']
    throw new BadRequestError(`fault must be one of ${names.join(', ')}`)
  }
  return fault
}

/** The fault the caller sent along, from a caller on this machine; else none. */
export function injectedFault(c: Context): InjectedFault | undefined {
  const fault = parseFault(c.req.header(FAULT_HEADER))
  return fault && connectionOf(c).loopback ? fault : undefined
}

/** A frozen request is let go after this long even when its caller never gives up. */
export const FREEZE_LIMIT_MS = 60_000

/**
 * Holds a request until its caller gives up (the connection closes), at most FREEZE_LIMIT_MS.
 * Whatever still listens then gets a 504.
 */
export async function holdUntilCallerGivesUp(c: Context, what: string): Promise<never> {
  const signal = c.req.raw.signal
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, FREEZE_LIMIT_MS)
    timer.unref()
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })
  throw new GatewayTimeoutError(what, `${what} was frozen for this request (x-fault)`)
}

/** Freezes this process for a request whose x-fault names it. */
export function freezeWhenAsked(me: string): MiddlewareHandler {
  return async function frozenByFault(c, next) {
    const fault = injectedFault(c)
    if (fault?.kind === 'freeze' && fault.process === me) return holdUntilCallerGivesUp(c, me)
    await next()
  }
}
