import { isNoAnswer } from '@jwt-factory/http-client'
import { randomUUID } from 'node:crypto'
import type { Span } from '@jwt-factory/trace'
import type { Exchange } from '../peers/console-client.ts'

/**
 * What a scenario run and an attack share: the console's own request id, its own call drawn as
 * a span, and a traced answer split into its body and its spans.
 */

/** A request id of the console's own, in the form the services accept from x-request-id. */
export const newRunId = () => `console-${randomUUID().slice(0, 13)}`

/**
 * A call the console made itself (a root: `0` or `1`), as the span the page draws for it; one
 * that got no answer says why (the 502 or 504 naming the process).
 */
export function callSpan(
  rid: string,
  id: string,
  to: string,
  call: string,
  exchange: Exchange,
): Span {
  return {
    id,
    kind: 'call',
    from: 'user',
    to,
    call,
    status: exchange.status,
    ms: exchange.ms,
    startedAt: exchange.startedAt,
    rid,
    ...(exchange.tls ? { tls: exchange.tls } : {}),
    ...(exchange.failure ? { result: exchange.failure.message } : {}),
    ...(exchange.failure && isNoAnswer(exchange.failure) ? { answered: false as const } : {}),
  }
}

/** A traced answer's body without its `trace`, and the spans it carried. */
export function splitTrace(answer: unknown): { trace: Span[]; body: unknown } {
  if (answer === null || typeof answer !== 'object' || !('trace' in answer)) {
    return { trace: [], body: answer }
  }
  const { trace, ...body } = answer as { trace: unknown }
  return { trace: Array.isArray(trace) ? (trace as Span[]) : [], body }
}
