import { describe, expect, it } from 'vitest'
import type { ConsoleEvent } from './console-event.ts'
import { EventHub } from './event-hub.ts'

const process = (name: string): ConsoleEvent => ({
  type: 'process',
  data: { name, state: 'running' },
})

/** Reads `count` events from a subscription, as the SSE route does. */
async function take(subscription: AsyncIterable<ConsoleEvent>, count: number) {
  const events: ConsoleEvent[] = []
  if (count === 0) return events
  for await (const event of subscription) {
    events.push(event)
    if (events.length === count) break
  }
  return events
}

describe('EventHub', () => {
  it('gives each subscriber its first events, then every event published, in order', async () => {
    const hub = new EventHub()
    const a = hub.subscribe([process('first')])
    const b = hub.subscribe()
    hub.publish(process('servicea'))
    hub.publish(process('serviceb'))
    expect(await take(a, 3)).toEqual([process('first'), process('servicea'), process('serviceb')])
    expect(await take(b, 2)).toEqual([process('servicea'), process('serviceb')])
  })

  it('wakes a reader waiting for the next event', async () => {
    const hub = new EventHub()
    const reading = take(hub.subscribe(), 1)
    hub.publish(process('servicec'))
    expect(await reading).toEqual([process('servicec')])
  })

  it('forgets a subscriber once it is closed or its reader stops: a browser gone leaves nothing', async () => {
    const hub = new EventHub()
    const closed = hub.subscribe()
    const read = hub.subscribe()
    expect(hub.subscriberCount).toBe(2)
    const waiting = take(closed, 1)
    closed.close()
    expect(await waiting).toEqual([])
    expect(hub.subscriberCount).toBe(1)
    hub.publish(process('servicea'))
    await take(read, 1) // the for-await's break ends the subscription
    expect(read.closed).toBe(true)
    expect(hub.subscriberCount).toBe(0)
  })

  it('closes a subscriber that falls further behind than its backlog, and drops what it held', async () => {
    const hub = new EventHub(3)
    const slow = hub.subscribe()
    const keeping = hub.subscribe()
    for (const name of ['a', 'b', 'c']) hub.publish(process(name))
    expect(await take(keeping, 3)).toHaveLength(3)
    expect(slow.closed).toBe(false)
    hub.publish(process('d'))
    expect(slow.closed).toBe(true)
    expect(await take(slow, 1)).toEqual([])
    expect(hub.subscriberCount).toBe(0)
  })

  it('close() ends every subscriber, and one that subscribes afterwards at once', async () => {
    const hub = new EventHub()
    const readers = [take(hub.subscribe(), 1), take(hub.subscribe(), 1)]
    hub.close()
    expect(await Promise.all(readers)).toEqual([[], []])
    const late = hub.subscribe([process('servicea')])
    expect(late.closed).toBe(true)
    expect(await take(late, 1)).toEqual([])
    expect(hub.subscriberCount).toBe(0)
  })

  it('refuses a backlog that is not a positive integer at creation', () => {
    expect(() => new EventHub(0)).toThrow(TypeError)
    expect(() => new EventHub(1.5)).toThrow(TypeError)
  })
})
