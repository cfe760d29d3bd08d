import type { Context } from 'hono'
import { isFlagSet, type ServerEnv } from '@jwt-factory/server'
import { loggedTrace, traceFromHeaders, type OpenSpan, type Trace } from '@jwt-factory/trace'

/**
 * The trace servicea keeps when asked `?trace=1`: its root span is the request itself (`user` →
 * servicea), every hop of the scenario a span under it, each logged as it ends.
 */
export function rootTrace<E extends ServerEnv>(c: Context<E>, me: string) {
  const trace = loggedTrace(isFlagSet(c.req.query('trace')), settingsOf(c))
  const url = new URL(c.req.url)
  const root = trace.start(
    { kind: 'call', from: 'user', to: me, call: `${c.req.method} ${url.pathname}${url.search}` },
    { under: true },
  )
  return { trace, root }
}

/** The trace a verifying side keeps: on when its caller sent x-trace, under the caller's span. */
export const incomingTrace = <E extends ServerEnv>(c: Context<E>) =>
  traceFromHeaders((name) => c.req.header(name), settingsOf(c))

const settingsOf = <E extends ServerEnv>(c: Context<E>) => ({
  rid: c.get('requestId'),
  logger: c.get('logger'),
})

/** The answer's body with the spans added, when tracing and the body is an object. */
export function withTrace(body: unknown, trace: Trace): unknown {
  if (!trace.enabled || body === null || typeof body !== 'object') return body
  return { ...body, trace: trace.spans() }
}

/** Ends the root span with the answer's status, then adds the spans to the answer. */
export function endTrace(body: unknown, status: number, trace: Trace, root: OpenSpan): unknown {
  root.end({ status })
  return withTrace(body, trace)
}

export type { Trace }
