import { describe, expect, it } from 'vitest'
import { formatLogLine } from './log-format.ts'

const pinoLine = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 30,
    time: '2030-01-02T15:04:05.123Z',
    pid: 4242,
    hostname: 'box',
    name: 'jwt-factory',
    ...fields,
  })

describe('formatLogLine', () => {
  it('turns a pino JSON line into time, level, message and fields', () => {
    const fields = { rid: 'r1', aud: 'serviceb', n: 3, ok: true, obj: { a: [1] } }
    expect(formatLogLine(pinoLine({ msg: 'token issued', ...fields }))).toBe(
      '15:04:05.123 INFO  token issued  rid=r1 aud=serviceb n=3 ok=true obj={"a":[1]}',
    )
  })

  it('leaves out what the message of a request line already says', () => {
    const request = { method: 'GET', path: '/keys/a', status: 200, ms: 1.5 }
    const line = pinoLine({ msg: 'GET /keys/a 200 1.5ms', rid: 'r2', ...request, keyId: 'a' })
    expect(formatLogLine(line)).toBe('15:04:05.123 INFO  GET /keys/a 200 1.5ms  rid=r2 keyId=a')
  })

  it('has no trailing separator when there are no fields', () => {
    expect(formatLogLine(pinoLine({ msg: 'listening' }))).toBe('15:04:05.123 INFO  listening')
  })

  it.each([
    [10, 'TRACE'],
    [20, 'DEBUG'],
    [30, 'INFO '],
    [40, 'WARN '],
    [50, 'ERROR'],
    [60, 'FATAL'],
    [35, '35   '],
  ])('level %i reads %j', (level, name) => {
    expect(formatLogLine(pinoLine({ level, msg: 'm' }))).toBe(`15:04:05.123 ${name} m`)
  })

  it('accepts a level given by name', () => {
    expect(formatLogLine(pinoLine({ level: 'warn', msg: 'm' }))).toBe('15:04:05.123 WARN  m')
  })

  it('uses the current time when the line has none, an empty message when it has none', () => {
    const before = new Date().toISOString().slice(11, 19)
    const formatted = formatLogLine(JSON.stringify({ level: 30, a: 1 }))
    expect(formatted).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2} {2}a=1$/)
    // the clock may tick over a second between the two readings
    const after = new Date().toISOString().slice(11, 19)
    expect([before, after]).toContain(formatted.slice(0, 8))
  })

  it('shows an error object as JSON on the line', () => {
    const err = { type: 'Error', message: 'boom' }
    expect(formatLogLine(pinoLine({ level: 50, msg: 'unhandled error', err }))).toBe(
      '15:04:05.123 ERROR unhandled error  err={"type":"Error","message":"boom"}',
    )
  })

  it('escapes control characters: a request path cannot forge a line or colour a terminal', () => {
    const forged = '/x\n15:04:05.123 INFO  GET /admin 200'
    const fields = { rid: 'r\r\u001b[31m', note: 'a\tb\u009bc\u007f' }
    const formatted = formatLogLine(pinoLine({ msg: `GET ${forged} 404 1ms`, ...fields }))
    expect(formatted).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    expect(formatted).toBe(
      '15:04:05.123 INFO  GET /x\\n15:04:05.123 INFO  GET /admin 200 404 1ms' +
        '  rid=r\\r\\u001b[31m note=a\\tb\\u009bc\\u007f',
    )
  })

  it.each(['plain text from a child process', '', '{not json', 'null', '42', '"a string"', 'true'])(
    'passes %j through unchanged',
    (line) => {
      expect(formatLogLine(line)).toBe(line)
    },
  )
})
