import { describe, expect, it } from 'vitest'
import { AssertionJtis } from './assertion-jtis.ts'

describe('the used client assertions', async () => {
  it('refuses a jti seen before, per client, until the time it was kept for', async () => {
    let now = new Date('2026-06-01T12:00:00Z')
    const jtis = new AssertionJtis({ now: () => now })
    const until = now.getTime() / 1000 + 90
    expect(await jtis.consume('servicea', 'j1', until)).toBe('ok')
    expect(await jtis.consume('servicea', 'j1', until)).toBe('replayed')
    expect(await jtis.consume('serviceb', 'j1', until)).toBe('ok') // another client's jti space
    now = new Date(now.getTime() + 91_000)
    expect(await jtis.consume('servicea', 'j2', until + 200)).toBe('ok') // the sweep drops j1s
    expect(jtis.size).toBe(1)
  })

  it('full of live assertions, it refuses new ones instead of forgetting live ones', async () => {
    let now = new Date('2026-06-01T12:00:00Z')
    const jtis = new AssertionJtis({ now: () => now, maxEntries: 2 })
    const soon = now.getTime() / 1000 + 60
    expect(await jtis.consume('c', 'a', soon)).toBe('ok')
    expect(await jtis.consume('c', 'b', soon + 60)).toBe('ok')
    expect(await jtis.consume('c', 'c', soon)).toBe('full')
    expect(await jtis.consume('c', 'a', soon)).toBe('replayed')
    now = new Date(now.getTime() + 61_000) // a has expired: room for one
    expect(await jtis.consume('c', 'c', soon + 120)).toBe('ok')
    expect(await jtis.consume('c', 'b', soon + 60)).toBe('replayed')
  })
})
