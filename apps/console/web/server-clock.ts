/**
 * The server's clock as the page keeps it. Countdowns tick here between polls, so they are
 * computed against the server's `now`, not the browser's: the two may differ, and the caches
 * being counted down live on the server. Each poll's answer corrects the offset, taking the
 * server's `now` to be the middle of the round trip.
 */
export class ServerClock {
  #offset = 0

  constructor(private readonly local: () => number = Date.now) {}

  /** A /control/state answer's `now`, with the local times the request was sent and answered. */
  observe(serverNow: number, sentAt: number, receivedAt: number): void {
    this.#offset = serverNow - (sentAt + receivedAt) / 2
  }

  now(): number {
    return this.local() + this.#offset
  }
}
