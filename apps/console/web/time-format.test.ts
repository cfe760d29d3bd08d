import { describe, expect, it } from 'vitest'
import { formatDuration, formatMs, isoTime, relativeTime, timeOfDay } from './time-format.ts'

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [999, '0 s'],
    [4_500, '4 s'],
    [65_000, '1 min 5 s'],
    [3_600_000, '1 h'],
    [3_725_000, '1 h 2 min'],
    [97_200_000, '1 d 3 h'],
    [-12_000, '12 s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('relativeTime', () => {
  const now = 1_796_117_973_000
  it('says when, relative to now', () => {
    expect(relativeTime(now + 250_000, now)).toBe('in 4 min 10 s')
    expect(relativeTime(now - 12_400, now)).toBe('12 s ago')
    expect(relativeTime(now + 400, now)).toBe('now')
  })
})

describe('instants', () => {
  it('writes ISO times to the second and log times to the millisecond', () => {
    expect(isoTime(Date.UTC(2026, 11, 1, 10, 19, 33, 512))).toBe('2026-12-01T10:19:33Z')
    expect(timeOfDay(Date.UTC(2026, 11, 1, 10, 19, 33, 512))).toBe('10:19:33.512')
  })

  it('writes milliseconds to a tenth, seconds past a thousand', () => {
    expect(formatMs(12.94)).toBe('12.9 ms')
    expect(formatMs(1234)).toBe('1.2 s')
  })
})
