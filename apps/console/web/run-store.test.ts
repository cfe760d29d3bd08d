import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import type { RunAnswer } from '@jwt-factory/console/api'
import runFixture from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { RunStore } from './run-store.ts'

const answer = runFixture as RunAnswer
const spans = answer.trace
const withRid = (span: Span, rid: string): Span => ({ ...span, rid })
/** A span as its log line carries it: never the compact token. */
const logged = (span: Span): Span => {
  if (!span.token) return span
  const { compact: _compact, ...token } = span.token
  return { ...span, token }
}

describe('RunStore', () => {
  it('shows nothing before a press, and no spans until the run has a rid', () => {
    const store = new RunStore()
    expect(store.addSpan(logged(spans[0]!))).toBe(false)
    expect(store.view()).toBeUndefined()
    store.begin('Scenario 1')
    expect(store.view()).toEqual({ label: 'Scenario 1', spans: [], phase: 'running' })
  })

  it("shows a call under way from its start, and its end's status once it ends, whatever comes last", () => {
    const store = new RunStore()
    store.begin('Scenario 1')
    const call = withRid(logged(spans[2]!), 'console-1')
    const started = { ...call, status: 0, ms: 0 }
    store.addSpan(started)
    expect(store.view()!.spans).toEqual([started])
    store.addSpan(call)
    // The start line from a slower stream, after the end: the end stays.
    store.addSpan(started)
    expect(store.view()!.spans).toEqual([call])
  })

  it('drops a call that only ever started once the run is answered: its process never ended it', () => {
    const store = new RunStore()
    const ticket = store.begin('Scenario 1')
    const orphan = { ...withRid(logged(spans[3]!), 'console-2'), id: '1.2.9', status: 0, ms: 0 }
    store.addSpan(orphan)
    expect(store.view()!.spans).toEqual([orphan])
    store.answer(ticket, { ...answer, rid: 'console-2', trace: [] })
    expect(store.view()!.spans).toEqual([])
  })

  it("takes the console rid that appeared last since the press as the run's, before the answer", () => {
    const store = new RunStore()
    store.addSpan(withRid(logged(spans[1]!), 'console-0a1b')) // an earlier run, still logging
    store.begin('Break it · Replay for another audience')
    expect(store.addSpan(withRid(logged(spans[1]!), 'console-0a1b'))).toBe(false)
    expect(store.addSpan(withRid(logged(spans[3]!), 'curl-run'))).toBe(false)
    // The attack's preparation (servicea's scenario 2) first, then the attack itself.
    expect(store.addSpan(withRid(logged(spans[3]!), 'console-9f2c-replay'))).toBe(true)
    expect(store.addSpan(withRid(logged(spans[2]!), 'console-9f2c'))).toBe(true)
    expect(store.addSpan(withRid(logged(spans[1]!), 'console-9f2c-replay'))).toBe(false)
    const view = store.view()!
    expect(view.rid).toBe('console-9f2c')
    expect(view.spans.map((span) => span.id)).toEqual(['1.2'])
  })

  it("pins the answer's rid and completes the logged spans with the compact tokens", () => {
    const store = new RunStore()
    const ticket = store.begin('Scenario 1')
    store.addSpan(withRid(logged(spans[3]!), 'console-7c3e')) // someone else's run, newer
    store.addSpan(logged(spans[2]!))
    store.answer(ticket, answer)
    const view = store.view()!
    expect(view).toMatchObject({ rid: answer.rid, phase: 'answered', answer })
    expect(view.spans.map((span) => span.id).sort()).toEqual(['1', '1.1', '1.2', '1.2.1'])
    const hop = view.spans.find((span) => span.id === '1.2')
    expect(hop?.token?.compact).toBe(spans[2]!.token!.compact)
  })

  it('keeps the compact token when the log line of a span comes after the answer', () => {
    const store = new RunStore()
    store.answer(store.begin('Scenario 1'), answer)
    expect(store.addSpan(logged(spans[1]!))).toBe(true)
    const issued = store.view()!.spans.find((span) => span.id === '1.1')
    expect(issued?.token).toEqual(spans[1]!.token)
  })

  it('reports a press the console could not answer', () => {
    const store = new RunStore()
    store.fail(store.begin('Scenario 2'), 'the console answered 403')
    expect(store.view()).toMatchObject({ phase: 'failed', error: 'the console answered 403' })
  })

  it('ignores the late answer or failure of an earlier press', () => {
    const store = new RunStore()
    const first = store.begin('Scenario 1')
    store.begin('Scenario 3')
    store.answer(first, answer)
    store.fail(first, 'too late')
    expect(store.view()).toEqual({ label: 'Scenario 3', spans: [], phase: 'running' })
  })
})
