import { describe, expect, it } from 'vitest'
import type { LogEvent } from '@jwt-factory/console/api'
import { LogStore } from './log-store.ts'

const line = (fields: Partial<LogEvent>): LogEvent => ({
  process: 'serviceb',
  level: 'info',
  time: 1_000,
  rid: 'console-a',
  msg: 'request',
  ...fields,
})

describe('LogStore', () => {
  it("keeps a run's lines from every process, in time order", () => {
    const logs = new LogStore()
    logs.add(line({ process: 'serviceb', time: 30, msg: 'verified' }))
    logs.add(line({ process: 'servicea', time: 10, msg: 'GET /scenario1' }))
    logs.add(line({ process: 'jwt-factory', time: 20, msg: 'issued', rid: 'console-b' }))
    expect(logs.of('console-a').map((l) => `${l.process} ${l.msg}`)).toEqual([
      'servicea GET /scenario1',
      'serviceb verified',
    ])
    expect(logs.of('console-b')).toHaveLength(1)
    expect(logs.of(undefined)).toEqual([])
  })

  it('leaves out lines of no request, and the span lines the diagram draws', () => {
    const logs = new LogStore()
    expect(logs.add(line({ rid: undefined, msg: 'listening' }))).toBe(false)
    expect(logs.add(line({ msg: 'span' }))).toBe(false)
    expect(logs.of('console-a')).toEqual([])
  })

  it('keeps the newest lines of a run and the newest runs, not everything', () => {
    const logs = new LogStore()
    for (let i = 0; i < 450; i++) logs.add(line({ time: i }))
    expect(logs.of('console-a')).toHaveLength(400)
    expect(logs.of('console-a')[0]?.time).toBe(50)
    for (let i = 0; i < 30; i++) logs.add(line({ rid: `console-run-${i}` }))
    expect(logs.of('console-a')).toEqual([])
    expect(logs.of('console-run-0')).toHaveLength(1)
  })
})
