/**
 * Turns by name, each held by one holder (a worker, by its id) until it gives it back or is
 * gone: the primary's side of KeyRingSource.exclusive, so the workers' changes of one keyId run
 * one after another, in the order asked, as they would in one process.
 */
export class Turns {
  readonly #held = new Map<
    string,
    { holder: string; waiting: { holder: string; go: () => void }[] }
  >()

  /** Resolves when `holder` has `name`'s turn. */
  take(name: string, holder: string): Promise<void> {
    const turn = this.#held.get(name)
    if (!turn) {
      this.#held.set(name, { holder, waiting: [] })
      return Promise.resolve()
    }
    return new Promise((go) => turn.waiting.push({ holder, go }))
  }

  /** Gives `name`'s turn to the next waiting, if `holder` has it. */
  give(name: string, holder: string): void {
    const turn = this.#held.get(name)
    if (turn?.holder !== holder) return
    const next = turn.waiting.shift()
    if (!next) return void this.#held.delete(name)
    turn.holder = next.holder
    next.go()
  }

  /** A holder gone (a worker that died): its turns pass on, and it waits for none. */
  forget(holder: string): void {
    for (const [name, turn] of this.#held) {
      turn.waiting = turn.waiting.filter((w) => w.holder !== holder)
      this.give(name, holder)
    }
  }
}
