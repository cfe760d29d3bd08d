import type { Context, MiddlewareHandler } from 'hono'
import { connectionOf } from './connection.ts'
import { namesThisMachine, refuseForeignHost } from './loopback-only.ts'
import { BadRequestError, ForbiddenError, GatewayTimeoutError } from './http-error.ts'

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

const FREEZABLE = ['jwt-factory', 'serviceb', 'servicec'] as const
const JWKS_MODES = ['slow', 'failing'] as const

/** Every fault by the name `?fault=` and x-fault carry. */
const FAULTS: ReadonlyMap<string, InjectedFault> = new Map(
  [
    ...FREEZABLE.map(
      (process) => ({ kind: 'freeze', process, value: `freeze:${process}` }) as const,
    ),
    ...JWKS_MODES.map((mode) => ({ kind: 'jwks', mode, value: `jwks:${mode}` }) as const),
  ].map((fault) => [fault.value, fault]),
)

/** A fault named by `value`; undefined when it names none. */
export function parseFault(value: string | undefined): InjectedFault | undefined {
  return value === undefined ? undefined : FAULTS.get(value)
}

/**
 * `?fault=` as servicea reads it: absent, one of the faults, a 400 naming them, or a 403 for a
 * caller beyond this machine or a Host that does not name it (every hop would honour the fault
 * servicea sends on from loopback).
 */
export function requestedFault(c: Context): InjectedFault | undefined {
  const query = c.req.query('fault')
  if (query === undefined) return undefined
  const fault = parseFault(query)
  if (!fault) throw new BadRequestError(`fault must be one of ${[...FAULTS.keys()].join(', ')}`)
  if (!connectionOf(c).loopback) {
    throw new ForbiddenError('a fault is asked for from this machine only')
  }
  // A web page whose name was rebound to 127.0.0.1 must not make the learner's browser freeze hops.
  refuseForeignHost(c, 'a fault is asked for at localhost only')
  return fault
}

/** The fault the caller sent along, from a caller on this machine for a Host naming it; else none. */
export function injectedFault(c: Context): InjectedFault | undefined {
  const fault = parseFault(c.req.header(FAULT_HEADER))
  return fault && connectionOf(c).loopback && namesThisMachine(c) ? fault : undefined
}

/**
 * The x-fault header that sends this request's fault on to the next hop: the one servicea was
 * asked for, or the one this process honoured; nothing a caller beyond this machine asked for.
 */
export function forwardedFault(c: Context): Record<string, string> {
  const fault = faultOf(c)
  return fault ? { [FAULT_HEADER]: fault.value } : {}
}

/** This request's fault, wherever this process is on its path: asked for here, or sent along. */
export const faultOf = (c: Context): InjectedFault | undefined =>
  requestedFault(c) ?? injectedFault(c)

/** A frozen request is let go after this long even when its caller never gives up. */
const FREEZE_LIMIT_MS = 60_000

/**
 * Holds a request until its caller gives up (the connection closes), at most FREEZE_LIMIT_MS.
 * Whatever still listens then gets a 504.
 */
async function holdUntilCallerGivesUp(c: Context, what: string): Promise<never> {
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
