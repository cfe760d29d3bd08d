import { describe, expect, it } from 'vitest'
import { claimTime } from './claim-times.ts'

describe('claimTime', () => {
  const now = Date.UTC(2026, 11, 1, 10, 0, 0)
  const seconds = now / 1000

  it('writes exp as an ISO time and relative to now; a past exp is late', () => {
    expect(claimTime('exp', seconds + 3540, now)).toEqual({
      iso: '2026-12-01T10:59:00Z',
      relative: 'in 59 min',
      late: false,
    })
    expect(claimTime('exp', seconds - 300, now)).toEqual({
      iso: '2026-12-01T09:55:00Z',
      relative: '5 min ago',
      late: true,
    })
  })

  it('marks an iat or nbf in the future as late, not one in the past', () => {
    expect(claimTime('iat', seconds - 40, now)?.late).toBe(false)
    expect(claimTime('iat', seconds + 120, now)?.late).toBe(true)
    expect(claimTime('nbf', seconds + 120, now)?.relative).toBe('in 2 min')
  })

  it('leaves other claims and values that are not seconds alone', () => {
    expect(claimTime('sub', 12, now)).toBeUndefined()
    expect(claimTime('exp', '1796117973', now)).toBeUndefined()
    expect(claimTime('exp', Number.NaN, now)).toBeUndefined()
  })
})
