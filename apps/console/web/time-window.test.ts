import { describe, expect, it } from 'vitest'
import { timeWindow } from './time-window.ts'

const iat = 1_796_117_933
const exp = iat + 3600
const at = (seconds: number) => seconds * 1000
const window = (now: number, toleranceSeconds = 30) =>
  timeWindow({ iat, exp, now, toleranceSeconds })!
const mark = (w: ReturnType<typeof window>, name: string) =>
  w.marks.find((m) => m.name === name)!.position

describe('timeWindow', () => {
  it('puts a now inside the token’s life between iat and exp, accepted', () => {
    const w = window(at(iat + 40))
    expect(mark(w, 'iat')).toBe(w.valid[0])
    expect(mark(w, 'exp')).toBe(w.valid[1])
    expect(mark(w, 'now')).toBeGreaterThan(w.valid[0])
    expect(mark(w, 'now')).toBeLessThan(w.valid[1])
    expect(w.accepted).toBe(true)
  })

  it('accepts a now past exp within the tolerance, in the band after exp', () => {
    const w = window(at(exp + 20))
    expect(mark(w, 'now')).toBeGreaterThan(w.after[0])
    expect(mark(w, 'now')).toBeLessThan(w.after[1])
    expect(w.accepted).toBe(true)
  })

  it('refuses a now past the tolerance and draws it beyond the band, nearer the edge the later', () => {
    const late = window(at(exp + 31))
    const later = window(at(exp + 3600))
    expect(late.accepted).toBe(false)
    expect(mark(late, 'now')).toBeGreaterThan(late.after[1])
    expect(mark(later, 'now')).toBeGreaterThan(mark(late, 'now'))
    expect(mark(later, 'now')).toBeLessThan(100)
  })

  it('refuses a token issued in the future beyond the tolerance (iat after now)', () => {
    const w = window(at(iat - 31))
    expect(w.accepted).toBe(false)
    expect(mark(w, 'now')).toBeLessThan(w.before[0])
    expect(mark(w, 'now')).toBeGreaterThan(0)
    expect(window(at(iat - 29)).accepted).toBe(true)
  })

  it('starts the window at nbf when the token has one', () => {
    const w = timeWindow({ iat, nbf: iat + 600, exp, now: at(iat + 60), toleranceSeconds: 30 })!
    expect(w.accepted).toBe(false)
    expect(mark(w, 'nbf')).toBe(w.valid[0])
    expect(mark(w, 'iat')).toBeLessThan(w.before[0])
  })

  it('draws a zero tolerance as bands of no time', () => {
    const w = window(at(exp), 0)
    expect(w.accepted).toBe(true)
    expect(window(at(exp) + 1, 0).accepted).toBe(false)
  })

  it('has no window without exp or a start', () => {
    expect(timeWindow({ iat, now: 0, toleranceSeconds: 30 })).toBeUndefined()
    expect(timeWindow({ exp, now: 0, toleranceSeconds: 30 })).toBeUndefined()
  })
})
