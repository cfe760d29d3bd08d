import { describe, expect, it } from 'vitest'
import type { Span } from './span.ts'
import { loggedTrace, traceFromHeaders, traceHeaders } from './incoming.ts'
import { loggableSpan, spanOfLogFields, Trace, treeOrder } from './trace.ts'

const call = (from: string, to: string, path: string) =>
  ({ kind: 'call', from, to, call: `GET ${path}` }) as const

describe('Trace', () => {
  it('numbers spans as a tree: the root 1, its children 1.1 and 1.2, theirs 1.2.1', () => {
    const trace = new Trace(true, { rid: 'r1' })
    const root = trace.start(call('user', 'servicea', '/scenario1'), { under: true })
    const issue = trace.start(call('servicea', 'jwt-factory', '/issueToken/servicea'))
    issue.end({ status: 200 })
    const hop = trace.start(call('servicea', 'serviceb', '/scenario1-server'))
    const inner = trace.start({ ...call('serviceb', 'serviceb', 'x'), parent: hop.id })
    inner.end({ status: 200 })
    hop.end({ status: 200 })
    root.end({ status: 200 })
    expect(trace.spans().map((s) => [s.id, s.parent])).toEqual([
      ['1', undefined],
      ['1.1', '1'],
      ['1.2', '1'],
      ['1.2.1', '1.2'],
    ])
    expect(trace.spans().every((s) => s.rid === 'r1' && s.status === 200)).toBe(true)
  })

  it("adopts a callee's spans under the caller's span, parents listed before their children", () => {
    const caller = new Trace(true, { rid: 'r' })
    caller.start(call('user', 'servicea', '/scenario2'), { under: true })
    const toB = caller.start(call('servicea', 'serviceb', '/b'))
    const toC = caller.start(call('servicea', 'servicec', '/c'))
    // The callee traces under the id it was sent, and answers its spans in its body.
    const callee = new Trace(true, { rid: 'r', parent: toC.id })
    callee.record({ ...call('servicec', 'jwt-factory', '/verify'), kind: 'call' }, { status: 200 })
    const rest = caller.adopt({ valid: true, trace: callee.spans() })
    toC.end({ status: 200 })
    toB.end({ status: 200 })
    expect(rest).toEqual({ valid: true })
    expect(caller.spans().map((s) => s.id)).toEqual(['1', '1.1', '1.2', '1.2.1'])
    expect(caller.spans()[3]).toMatchObject({ parent: '1.2', from: 'servicec' })
  })

  it('a trace that is off records nothing, and says nothing to the callee', () => {
    const trace = new Trace(false, { rid: 'r' })
    const span = trace.start(call('a', 'b', '/'))
    span.end({ status: 200 })
    expect(span.id).toBe('')
    expect(trace.spans()).toEqual([])
    expect(trace.adopt({ ok: 1, trace: [{ id: '9' }] })).toEqual({ ok: 1 })
    expect(trace.spans()).toEqual([])
    expect(traceHeaders(trace, '1')).toEqual({})
  })

  it('logs each span as it ends, without the compact token', () => {
    const lines: { fields: { span: Span }; message: string }[] = []
    const logger = {
      info: (fields: object, message: string) => lines.push({ fields, message } as never),
    }
    const trace = loggedTrace(true, { rid: 'r', logger })
    const token = { header: { alg: 'ES256' }, claims: { sub: 'servicea' }, compact: 'eyJ.eyJ.sig' }
    trace.start({ ...call('a', 'b', '/'), token }).end({ status: 200 })
    expect(lines.map((l) => l.message)).toEqual(['span started', 'span'])
    const ended = lines[1]!
    // Beside the span, not in it: the logger redacts every `token` member.
    expect(ended.fields.span.token).toBeUndefined()
    expect(spanOfLogFields(ended.fields)).toMatchObject({
      token: { header: { alg: 'ES256' }, claims: { sub: 'servicea' } },
    })
    expect(JSON.stringify(lines)).not.toContain('sig')
    // The answer to the request that produced it keeps the compact token for the learner.
    expect(trace.spans()[0]!.token?.compact).toBe('eyJ.eyJ.sig')
    expect(loggableSpan(trace.spans()[0]!).token?.compact).toBeUndefined()
  })

  it('logs each call as it starts too (status 0, no compact token), before its callee answers', () => {
    const lines: { fields: { span: Span }; message: string }[] = []
    const logger = {
      info: (fields: object, message: string) => lines.push({ fields, message } as never),
    }
    const trace = loggedTrace(true, { rid: 'r', logger })
    const token = { header: {}, claims: {}, compact: 'eyJ.eyJ.sig' }
    const hop = trace.start({ ...call('servicea', 'serviceb', '/scenario1-server'), token })
    expect(lines.map((l) => `${l.message} ${l.fields.span.id} ${l.fields.span.status}`)).toEqual([
      'span started 1 0',
    ])
    // A step inside one process is not announced, nor a call recorded once it was over.
    trace.start({ kind: 'verify', from: 'b', to: 'b', call: 'verify' }).end({ status: 200 })
    trace.record(call('servicea', 'jwt-factory', '/issueToken/servicea'), { status: 502 })
    hop.end({ status: 200 })
    expect(lines.map((l) => `${l.message} ${l.fields.span.id} ${l.fields.span.status}`)).toEqual([
      'span started 1 0',
      'span 2 200',
      'span 3 502',
      'span 1 200',
    ])
    expect(JSON.stringify(lines)).not.toContain('sig')
  })

  it('a callee hangs its spans under x-trace-parent only when it is a span id', () => {
    const logger = { info() {} }
    const headers = (h: Record<string, string>) => (name: string) => h[name]
    const under = traceFromHeaders(headers({ 'x-trace': '1', 'x-trace-parent': '1.2' }), {
      rid: 'r',
      logger,
    })
    under.start(call('b', 'b', '/')).end({ status: 200 })
    expect(under.spans()[0]!.id).toBe('1.2.1')
    for (const parent of ['1.2; drop', '__proto__', '1..2', '9'.repeat(50)]) {
      const t = traceFromHeaders(headers({ 'x-trace': '1', 'x-trace-parent': parent }), {
        rid: 'r',
        logger,
      })
      t.start(call('b', 'b', '/')).end({ status: 200 })
      expect(t.spans()[0]!.id).toBe('1')
    }
    expect(traceFromHeaders(headers({ 'x-trace': 'yes' }), { rid: 'r', logger }).enabled).toBe(
      false,
    )
  })

  it('treeOrder puts siblings in the order they started, whatever order they ended in', () => {
    const span = (id: string, startedAt: number, parent?: string): Span => ({
      id,
      ...(parent ? { parent } : {}),
      kind: 'call',
      from: 'a',
      to: 'b',
      call: 'x',
      status: 200,
      ms: 1,
      startedAt,
      rid: 'r',
    })
    const spans = [span('1.2.1', 5, '1.2'), span('1.2', 3, '1'), span('1.1', 2, '1'), span('1', 1)]
    expect(treeOrder(spans).map((s) => s.id)).toEqual(['1', '1.1', '1.2', '1.2.1'])
  })
})
