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

export const TRACE_HEADER = 'x-trace'

export const elapsedSince = (started: number) => Math.round((performance.now() - started) * 10) / 10
