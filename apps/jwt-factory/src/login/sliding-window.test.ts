import { describe, expect, it } from 'vitest'
import { SlidingWindow } from './sliding-window.ts'

describe('SlidingWindow', () => {
  it('allows `limit` events per window; each ages out on its own', () => {
    const w = new SlidingWindow({ limit: 3, windowMs: 1000 })
    w.hit('k', 0)
    w.hit('k', 100)
    expect(w.retryAfterMs('k', 200)).toBe(0)
    w.hit('k', 200)
    expect(w.retryAfterMs('k', 200)).toBe(800)
    expect(w.retryAfterMs('k', 999)).toBe(1)
    expect(w.retryAfterMs('k', 1000)).toBe(0) // the event at 0 left the window
    w.hit('k', 1000)
    expect(w.retryAfterMs('k', 1000)).toBe(100) // now the one at 100 is the oldest that counts
    expect(w.retryAfterMs('other', 1000)).toBe(0)
  })

  it('forgets a key on reset, and the least recently hit keys beyond maxKeys', () => {
    const w = new SlidingWindow({ limit: 1, windowMs: 1000, maxKeys: 2 })
    w.hit('a', 0)
    w.reset('a')
    expect(w.retryAfterMs('a', 0)).toBe(0)
    w.hit('a', 0)
    w.hit('b', 0)
    w.hit('c', 0)
    expect(w.retryAfterMs('a', 1)).toBe(0)
    expect(w.retryAfterMs('c', 1)).toBe(999)
  })

  it('refuses options that would throttle nothing or everything', () => {
    expect(() => new SlidingWindow({ limit: 0, windowMs: 1000 })).toThrow(TypeError)
    expect(() => new SlidingWindow({ limit: 1, windowMs: 0 })).toThrow(TypeError)
  })
})

describe('SlidingWindow with pending events', () => {
  it('counts pending events towards the limit, with a short wait while only they fill it', () => {
    const w = new SlidingWindow({ limit: 3, windowMs: 1000 })
    w.hit('k', 0)
    expect(w.retryAfterMs('k', 10, 1)).toBe(0)
    expect(w.retryAfterMs('k', 10, 2, 500)).toBe(500)
    w.hit('k', 10)
    w.hit('k', 20)
    expect(w.retryAfterMs('k', 30, 5)).toBe(970)
  })
})
