/**
 * RFC 6238 §5.2: once a code was accepted, the verifier must not accept it again. Remembering
 * the last accepted time step per user refuses that code and every older one, for that user.
 * Held in memory: after a restart a code could be used once more within its ±30 s window.
 */
export class TotpReplayGuard {
  readonly #lastStep = new Map<string, number>()

  /** True (and remembered) when `step` is newer than the last step accepted for `user`. */
  accept(user: string, step: number): boolean {
    const last = this.#lastStep.get(user)
    if (last !== undefined && step <= last) return false
    this.#lastStep.set(user, step)
    return true
  }
}
