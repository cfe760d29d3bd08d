import { describe, expect, it } from 'vitest'
import { lineEvent } from './line-event.ts'

const now = () => 1_796_000_000_000
const json = (entry: object) => JSON.stringify(entry)

describe('lineEvent', () => {
  it('turns a span line into a span event, not also a log line', () => {
    const span = {
      id: '1.2',
      parent: '1',
      kind: 'call',
      from: 'servicea',
      to: 'serviceb',
      call: 'GET /scenario1-server',
      status: 200,
      ms: 3.1,
      startedAt: 1_796_000_000_100,
      rid: 'console-1',
    }
    const line = json({
      level: 30,
      time: '2026-12-01T10:00:00.000Z',
      rid: 'console-1',
      msg: 'span',
      span,
    })
    expect(lineEvent('servicea', line, 'stdout', now)).toEqual({ type: 'span', data: span })
    // A call's start: the same span, still at status 0, under way.
    const started = { ...span, status: 0, ms: 0 }
    const startLine = json({ level: 30, rid: 'console-1', msg: 'span started', span: started })
    expect(lineEvent('servicea', startLine, 'stdout', now)).toEqual({ type: 'span', data: started })
  })

  it('never passes on a compact token, should a span line carry one', () => {
    const span = { id: '1', kind: 'call', rid: 'r', status: 200 }
    const token = { header: { alg: 'ES256' }, claims: { sub: 'servicea' }, compact: 'a.b.c' }
    const line = json({ level: 30, msg: 'span', span, spanToken: token })
    expect(lineEvent('servicea', line, 'stdout', now)).toEqual({
      type: 'span',
      data: { ...span, token: { header: token.header, claims: token.claims } },
    })
  })

  it("turns a pino line into a log event: pino's level as one of four, its ISO time in ms, its rid", () => {
    const levels = [
      [20, 'debug'],
      [30, 'info'],
      [40, 'warn'],
      [50, 'error'],
      [60, 'error'],
    ] as const
    for (const [level, name] of levels) {
      const line = json({
        level,
        time: '2026-12-01T10:00:00.250Z',
        rid: 'r-1',
        msg: 'GET /x 200 1ms',
      })
      expect(lineEvent('serviceb', line, 'stdout', now)).toEqual({
        type: 'log',
        data: {
          process: 'serviceb',
          level: name,
          time: Date.parse('2026-12-01T10:00:00.250Z'),
          rid: 'r-1',
          msg: 'GET /x 200 1ms',
        },
      })
    }
  })

  it('keeps a line without rid, and a "span" message without a span, as log lines', () => {
    expect(
      lineEvent('servicea', json({ level: 30, time: 'x', msg: 'span' }), 'stdout', now),
    ).toEqual({
      type: 'log',
      data: { process: 'servicea', level: 'info', time: now(), msg: 'span' },
    })
  })

  it('gives a line that is not JSON as it is: an error when it came on stderr', () => {
    expect(lineEvent('servicec', 'servicec failed to start: boom', 'stderr', now)).toEqual({
      type: 'log',
      data: {
        process: 'servicec',
        level: 'error',
        time: now(),
        msg: 'servicec failed to start: boom',
      },
    })
    expect(lineEvent('servicec', '[1, 2]', 'stdout', now)?.data).toMatchObject({
      level: 'info',
      msg: '[1, 2]',
    })
    expect(lineEvent('servicec', '   ', 'stdout', now)).toBeUndefined()
  })
})
