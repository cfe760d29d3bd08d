import type { SharedState } from '../stores/shared-state.ts'
import { TOTP_PARAMS, TOTP_WINDOW } from './totp.ts'

/**
 * RFC 6238 §5.2: once a code was accepted, the verifier must not accept it again. Remembering
 * the last accepted time step per user refuses that code and every older one, for that user.
 * In memory first (a replay at this factory is refused at once); with a SharedState the step is
 * also raised in the store, so a code used at one factory is refused at every other. Without
 * one, after a restart a code could be used once more within its ±30 s window.
 */
export class TotpReplayGuard {
  readonly #lastStep = new Map<string, number>()
  readonly #shared: SharedState | undefined

  constructor(shared?: SharedState) {
    this.#shared = shared
  }

  /**
   * True (and remembered) when `step` is newer than the last step accepted for `user`. Rejects
   * with StoreUnavailableError when the shared store cannot say: the login fails closed.
   */
  async accept(user: string, step: number): Promise<boolean> {
    const last = this.#lastStep.get(user)
    if (last !== undefined && step <= last) return false
    // Taken before the store is asked, so the same code sent twice here at once is refused here.
    this.#lastStep.set(user, step)
    if (!this.#shared) return true
    // A code of step s is valid until step s + TOTP_WINDOW ends; after that none needs refusing.
    const untilSeconds = (step + TOTP_WINDOW + 1) * TOTP_PARAMS.period
    try {
      return await this.#shared.raise(`totp/${encodeURIComponent(user)}`, step, untilSeconds)
    } catch (err) {
      // Not used after all: the same code may be tried again once the store answers.
      if (this.#lastStep.get(user) === step) this.#restore(user, last)
      throw err
    }
  }

  #restore(user: string, last: number | undefined): void {
    if (last === undefined) this.#lastStep.delete(user)
    else this.#lastStep.set(user, last)
  }
}
