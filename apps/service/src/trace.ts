import type { Context, MiddlewareHandler } from 'hono'
import { connectionOf, isFlagSet, type ServerEnv } from '@jwt-factory/server'
import {
  loggableSpan,
  loggedTrace,
  traceFromHeaders,
  type OpenSpan,
  type Trace,
} from '@jwt-factory/trace'

/** A traced request's trace, and servicea's root span: the request itself. */
interface RequestTrace {
  trace: Trace
  root?: OpenSpan
}

/** The traces of the requests in flight, for answeredWithTrace to find. */
const traces = new WeakMap<Context, RequestTrace>()

/**
 * The trace servicea keeps when asked `?trace=1`: its root span is the request itself (`user` →
 * servicea), every hop of the scenario a span under it, each logged as it ends.
 */
export function rootTrace<E extends ServerEnv>(c: Context<E>, me: string): Trace {
  const trace = loggedTrace(isFlagSet(c.req.query('trace')), settingsOf(c))
  const url = new URL(c.req.url)
  const root = trace.start(
    { kind: 'call', from: 'user', to: me, call: `${c.req.method} ${url.pathname}${url.search}` },
    { under: true },
  )
  if (trace.enabled) traces.set(c, { trace, root })
  return trace
}

/** The trace a verifying side keeps: on when its caller sent x-trace, under the caller's span. */
export function incomingTrace<E extends ServerEnv>(c: Context<E>): Trace {
  const trace = traceFromHeaders((name) => c.req.header(name), settingsOf(c))
  if (trace.enabled) traces.set(c, { trace })
  return trace
}

const settingsOf = <E extends ServerEnv>(c: Context<E>) => ({
  rid: c.get('requestId'),
  logger: c.get('logger'),
})

/**
 * Every JSON answer of a traced request carries its spans, whatever made it: a scenario's answer,
 * a refusal, or the error a hop that could not answer was thrown as (onError's answer), so a
 * learner sees how far the request got. servicea's root span ends with the answer's status.
 * A compact token in a span is a live credential (servicea's token for serviceb): only a caller
 * on this machine (the console, curl beside it) gets it; anyone else its header and claims.
 */
export function answeredWithTrace(): MiddlewareHandler<ServerEnv> {
  return async function addTraceToAnswer(c, next) {
    await next()
    const kept = traces.get(c)
    if (!kept) return
    kept.root?.end({ status: c.res.status })
    if (!/^application\/json/i.test(c.res.headers.get('content-type') ?? '')) return
    const body: unknown = await c.res.json()
    const spans = kept.trace.spans()
    const trace = connectionOf(c).loopback ? spans : spans.map(loggableSpan)
    const traced = body !== null && typeof body === 'object' ? { ...body, trace } : body
    c.res = new Response(JSON.stringify(traced), c.res)
  }
}

export type { Trace }
