import type { ConsoleEvent } from './console-event.ts'

/** Events kept for one subscriber that has not taken them yet; a run makes a few dozen. */
export const DEFAULT_BACKLOG_LIMIT = 1000

/** One browser's stream of events, read with `for await`; ends when closed. */
export interface Subscription extends AsyncIterable<ConsoleEvent> {
  /** Ends it: a pending read resolves as done, and the hub forgets it. */
  close(): void
  readonly closed: boolean
}

/**
 * The console's events, fanned out to every open `GET /events`. Each subscriber has a queue of
 * its own, capped: one that falls further behind than the cap is closed (its EventSource
 * reconnects), so a stalled tab can never grow the console's memory; a subscriber that is
 * closed is forgotten at once, so a browser that went away leaves nothing behind.
 */
export class EventHub {
  readonly #subscribers = new Set<QueuedSubscription>()
  #closed = false

  constructor(readonly backlogLimit = DEFAULT_BACKLOG_LIMIT) {
    if (!Number.isInteger(backlogLimit) || backlogLimit < 1)
      throw new TypeError('EventHub: backlogLimit must be a positive integer')
  }

  get subscriberCount(): number {
    return this.#subscribers.size
  }

  publish(event: ConsoleEvent): void {
    for (const subscriber of this.#subscribers) subscriber.push(event)
  }

  /** A new subscriber; `first` are queued for it alone (the processes' current states). */
  subscribe(first: ConsoleEvent[] = []): Subscription {
    const subscriber = new QueuedSubscription(this.backlogLimit, () =>
      this.#subscribers.delete(subscriber),
    )
    this.#subscribers.add(subscriber)
    for (const event of first) subscriber.push(event)
    // One that arrives while the console closes ends at once, rather than hold the server open.
    if (this.#closed) subscriber.close()
    return subscriber
  }

  /** Closes every subscriber, and any later one: their streams end, so the server can close. */
  close(): void {
    this.#closed = true
    for (const subscriber of this.#subscribers) subscriber.close()
  }
}

class QueuedSubscription implements Subscription {
  readonly #queue: ConsoleEvent[] = []
  #wake: (() => void) | undefined
  #closed = false

  constructor(
    readonly limit: number,
    readonly onClose: () => void,
  ) {}

  get closed(): boolean {
    return this.#closed
  }

  push(event: ConsoleEvent): void {
    if (this.#closed) return
    if (this.#queue.length >= this.limit) return this.close()
    this.#queue.push(event)
    this.#wakeReader()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#queue.length = 0
    this.onClose()
    this.#wakeReader()
  }

  #wakeReader(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsoleEvent> {
    try {
      while (!this.#closed) {
        const event = this.#queue.shift()
        if (event !== undefined) yield event
        else await new Promise<void>((resolve) => (this.#wake = resolve))
      }
    } finally {
      // A reader that stops reading (a write that failed) is done with it too.
      this.close()
    }
  }
}
