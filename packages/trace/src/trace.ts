import type { Span } from './span.ts'

/** What a span says when it starts; the rest comes when it ends. */
export type SpanStart = Pick<Span, 'kind' | 'from' | 'to' | 'call'> &
  Partial<Pick<Span, 'token' | 'tls'>> & {
    /** Default: the span the trace was opened under. */
    parent?: string
    /** Default: now; for a span timed before it was known to be one (a token from a cache). */
    startedAt?: number
  }

/** What a span says when it ends; its `ms` is the time since it started. */
export type SpanEnd = Pick<Span, 'status'> &
  Partial<Pick<Span, 'token' | 'tls' | 'verification' | 'result' | 'answered'>>

export interface OpenSpan {
  /** Empty when the trace is off. */
  readonly id: string
  end(fields: SpanEnd): void
}

export interface TraceOptions {
  /** The request id every span carries, as every log line of the request does. */
  rid: string
  /** The caller's span this process's spans hang under (x-trace-parent); none for the root. */
  parent?: string | undefined
  /** Called once per span as it ends: the log line that makes the console live. */
  onEnd?: (span: Span) => void
  /** Called as a call starts (status 0), so that a call still waiting on its callee shows. */
  onCallStart?: (span: Span) => void
}

const OFF: OpenSpan = { id: '', end() {} }

/**
 * The spans of one request in one process; a trace that is off records nothing and costs
 * nothing. Ids are hierarchical (`1.2.1` is the first child of `1.2`), so a callee's spans under
 * the caller's id never collide with the caller's own, and `adopt` merges them as they come.
 */
export class Trace {
  readonly #spans: Span[] = []
  readonly #children = new Map<string, number>()
  readonly #options: TraceOptions
  #under: string | undefined

  constructor(
    readonly enabled: boolean,
    options: TraceOptions,
  ) {
    this.#options = options
    this.#under = options.parent
  }

  get rid(): string {
    return this.#options.rid
  }

  /** Starts a span; `under` makes it the parent of every later span that names none. */
  start(fields: SpanStart, { under = false } = {}): OpenSpan {
    return this.#open(fields, under, true)
  }

  #open(fields: SpanStart, under: boolean, announce: boolean): OpenSpan {
    if (!this.enabled) return OFF
    const {
      parent = this.#under,
      startedAt = performance.timeOrigin + performance.now(),
      ...rest
    } = fields
    const n = (this.#children.get(parent ?? '') ?? 0) + 1
    this.#children.set(parent ?? '', n)
    const { token, tls, ...what } = rest
    // Who, what and how it went first; the token and the checks, the long parts, last.
    const span: Span = {
      id: parent === undefined ? String(n) : `${parent}.${n}`,
      ...(parent === undefined ? {} : { parent }),
      ...what,
      status: 0,
      ms: 0,
      startedAt,
      rid: this.#options.rid,
      ...(tls ? { tls } : {}),
      ...(token ? { token } : {}),
    }
    this.#spans.push(span)
    if (under) this.#under = span.id
    if (announce && span.kind === 'call') this.#options.onCallStart?.({ ...span })
    const started = startedAt - performance.timeOrigin
    return {
      id: span.id,
      end: (end) => {
        const ms = Math.round((performance.now() - started) * 10) / 10
        Object.assign(span, end, { ms })
        this.#options.onEnd?.(span)
      },
    }
  }

  /** A span known only once it is over: it ends as it is recorded, timed from its `startedAt`. */
  record(start: SpanStart, end: SpanEnd): string {
    // Over already: nothing to show under way.
    const span = this.#open(start, false, false)
    span.end(end)
    return span.id
  }

  /** Takes the `trace` a callee returned out of its body, keeps its spans, and returns the rest. */
  adopt(body: unknown): unknown {
    if (body === null || typeof body !== 'object' || !('trace' in body)) return body
    const { trace, ...rest } = body as { trace: unknown }
    if (this.enabled && Array.isArray(trace)) this.#spans.push(...(trace as Span[]))
    return rest
  }

  /** The spans as a tree read top to bottom: each parent before its children, siblings by start. */
  spans(): Span[] {
    return treeOrder(this.#spans)
  }
}

export function treeOrder(spans: readonly Span[]): Span[] {
  const children = new Map<string | undefined, Span[]>()
  const ids = new Set(spans.map((s) => s.id))
  for (const span of spans) {
    // A span whose parent is not here (the caller's, in a callee's own answer) is a root here.
    const parent = span.parent !== undefined && ids.has(span.parent) ? span.parent : undefined
    children.set(parent, [...(children.get(parent) ?? []), span])
  }
  const ordered: Span[] = []
  const visit = (parent: string | undefined) => {
    const siblings = (children.get(parent) ?? []).sort((a, b) => a.startedAt - b.startedAt)
    for (const span of siblings) {
      ordered.push(span)
      visit(span.id)
    }
  }
  visit(undefined)
  return ordered
}

/**
 * A span's log line fields: the span without a compact token, its decoded token beside it as
 * `spanToken` (the logger redacts any `token` member, a second line of defence kept as it is).
 */
export function spanLogFields(span: Span): { span: Span; spanToken?: Span['token'] } {
  const { token, ...rest } = loggableSpan(span)
  return token ? { span: rest, spanToken: token } : { span: rest }
}

/** The span a log line written with spanLogFields carries, its token put back. */
export function spanOfLogFields(fields: { span?: unknown; spanToken?: unknown }): unknown {
  const { span, spanToken } = fields
  if (span === null || typeof span !== 'object' || spanToken === undefined) return span
  return { ...span, token: spanToken }
}

/** A span as a log line may carry it: never a compact token. */
export function loggableSpan(span: Span): Span {
  if (!span.token?.compact) return span
  const { compact: _compact, ...token } = span.token
  return { ...span, token }
}

/** A caller's span id as x-trace-parent carries it; anything else is ignored. */
export const SPAN_ID = /^\d{1,4}(?:\.\d{1,4}){0,15}$/
