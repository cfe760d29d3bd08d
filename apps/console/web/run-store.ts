import type { Span } from '@jwt-factory/trace'
import type { BreakAnswer, RunAnswer } from '@jwt-factory/console/api'
import { recentEntry } from './recent.ts'

/** The console server's own request ids start so. */
export const CONSOLE_RID_PREFIX = 'console-'
const KEPT_RIDS = 30

export interface RunView {
  /** `Scenario 1 · verify with JWKS`, `Break it · alg: none`. */
  label: string
  /** The run's request id: known from the answer, or the last console rid to appear since the press. */
  rid?: string
  spans: Span[]
  answer?: RunAnswer | BreakAnswer
  error?: string
  phase: 'running' | 'answered' | 'failed'
}

interface Run {
  label: string
  rid?: string
  /** The console rid that appeared last since the press: the run's own, until the answer says. */
  latest?: string
  answer?: RunAnswer | BreakAnswer
  error?: string
}

/**
 * The run the learner started and its spans. A press draws nothing itself: the spans come as
 * the processes log them (over SSE), then the answer completes them with the compact tokens.
 * The rid is known only from the answer, so until then the console rid that appeared last
 * after the press is taken to be the run's (an attack's own preparations come first).
 */
export class RunStore {
  readonly #spans = new Map<string, Map<string, Span>>()
  #run: Run | undefined
  #presses = 0

  /** A press; returns its ticket, so that a slow answer to an earlier press is not taken for it. */
  begin(label: string): number {
    this.#run = { label }
    return ++this.#presses
  }

  /** A span from the event stream; true when it belongs to the run on show. */
  addSpan(span: Span): boolean {
    const known = this.#spans.has(span.rid)
    this.#store(span)
    const run = this.#run
    if (!run) return false
    if (!known && run.rid === undefined && span.rid.startsWith(CONSOLE_RID_PREFIX))
      run.latest = span.rid
    return this.#ridOf(run) === span.rid
  }

  /** The console's answer: its rid is the run's, its trace carries the compact tokens. */
  answer(ticket: number, answer: RunAnswer | BreakAnswer): void {
    const run = this.#current(ticket)
    if (!run) return
    run.rid = answer.rid
    run.answer = answer
    for (const span of answer.trace) this.#store(span)
  }

  fail(ticket: number, message: string): void {
    const run = this.#current(ticket)
    if (run) run.error = message
  }

  view(): RunView | undefined {
    const run = this.#run
    if (!run) return undefined
    const rid = this.#ridOf(run)
    return {
      label: run.label,
      ...(rid === undefined ? {} : { rid }),
      spans: rid === undefined ? [] : this.#spansOf(rid, run.answer !== undefined),
      ...(run.answer ? { answer: run.answer } : {}),
      ...(run.error === undefined ? {} : { error: run.error }),
      phase: run.error !== undefined ? 'failed' : run.answer ? 'answered' : 'running',
    }
  }

  /**
   * The spans of `rid`. Once the run is answered, a call that only ever started is dropped: its
   * process stopped or froze before ending it, and the caller's span says how that went.
   */
  #spansOf(rid: string, answered: boolean): Span[] {
    const spans = [...(this.#spans.get(rid)?.values() ?? [])]
    return answered ? spans.filter((span) => span.status !== 0) : spans
  }

  #current(ticket: number): Run | undefined {
    return ticket === this.#presses ? this.#run : undefined
  }

  #ridOf(run: Run): string | undefined {
    return run.rid ?? run.latest
  }

  #store(span: Span): void {
    const spans = recentEntry(this.#spans, span.rid, () => new Map<string, Span>(), KEPT_RIDS)
    spans.set(span.id, mergeSpan(spans.get(span.id), span))
  }
}

/**
 * The same span from the log lines and from the answer: the answer's compact token is kept, and
 * a call's start (status 0), which may come after its end from a slower stream, never undoes it.
 */
function mergeSpan(before: Span | undefined, after: Span): Span {
  if (before && before.status !== 0 && after.status === 0) return before
  const compact = after.token?.compact ?? before?.token?.compact
  if (!after.token || compact === undefined) return { ...before, ...after }
  return { ...before, ...after, token: { ...after.token, compact } }
}
