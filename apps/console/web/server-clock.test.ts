import { describe, expect, it } from 'vitest'
import { ServerClock } from './server-clock.ts'

describe('ServerClock', () => {
  it('follows the local clock until the server has been heard', () => {
    let local = 1_000
    const clock = new ServerClock(() => local)
    expect(clock.now()).toBe(1_000)
    local = 1_500
    expect(clock.now()).toBe(1_500)
  })

  it("takes the server's now as the middle of the round trip, then ticks with the local clock", () => {
    let local = 10_000
    const clock = new ServerClock(() => local)
    // Sent at 10 000, answered at 10 200 local; the server said 60 100 in between.
    clock.observe(60_100, 10_000, 10_200)
    expect(clock.now()).toBe(60_000)
    local = 11_000
    expect(clock.now()).toBe(61_000)
  })
})
