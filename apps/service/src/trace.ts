import type { Context } from 'hono'

/** One hop of a scenario, as `?trace=1` shows it. */
export interface TraceEntry {
  from: string
  to: string
  call: string
  status: number
  ms: number
  /** Claims that matter for the lesson: who the token is from and for. */
  token?: {
    sub?: unknown
    aud?: unknown
    iss?: unknown
    expired?: boolean
    kid?: string | undefined
    source?: 'cached' | 'issued'
  }
  result?: string
}

/** Trace entries of one request; a disabled trace records nothing and costs nothing. */
export class Trace {
  readonly entries: TraceEntry[] = []
  constructor(readonly enabled: boolean) {}

  add(entry: TraceEntry): void {
    if (this.enabled) this.entries.push(entry)
  }

  /** Takes the `trace` a downstream hop returned out of its body and appends it here. */
  adopt(body: unknown): unknown {
    if (body === null || typeof body !== 'object' || !('trace' in body)) return body
    const { trace, ...rest } = body as { trace: unknown }
    if (this.enabled && Array.isArray(trace)) this.entries.push(...(trace as TraceEntry[]))
    return rest
  }
}

/** How a caller asks a verifying side for its hops: servicea sends it when it was asked `?trace=1`. */
export const TRACE_HEADER = 'x-trace'

/** The trace a verifying side keeps: on when its caller sent TRACE_HEADER. */
export const incomingTrace = (c: Context) => new Trace(c.req.header(TRACE_HEADER) === '1')

/** The answer's body with the hops added, when tracing and the body is an object. */
export function withTrace(body: unknown, trace: Trace): unknown {
  if (!trace.enabled || body === null || typeof body !== 'object') return body
  return { ...body, trace: trace.entries }
}

/** A verification as the trace shows it. */
export const outcome = (
  result: { valid: true } | { valid: false; error: { name: string; message: string } },
) => (result.valid ? 'valid' : `${result.error.name}: ${result.error.message}`)

export const elapsedSince = (started: number) => Math.round((performance.now() - started) * 10) / 10
