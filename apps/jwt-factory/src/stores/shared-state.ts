/**
 * What the factories sharing one store must agree on beyond the documents: a TOTP step or a
 * client assertion used at one is refused at all (RFC 6238 §5.2, RFC 7523 §3), a TOTP challenge
 * given by one is answered at any (behind one name, the next request may reach another), and
 * failed logins at one count at all. With the files store there is none: each factory remembers on its own.
 * stores/kv/kv-shared-state.ts implements it on a KvBackend.
 */
export interface SharedState {
  /**
   * True the first time `key` is claimed, at any factory sharing the store, until `untilSeconds`
   * (epoch seconds); false after. Rejects with StoreUnavailableError when the store is down:
   * whoever asks then fails closed (a 503), never lets a possible replay through.
   */
  claimOnce(key: string, untilSeconds: number): Promise<boolean>
  /**
   * True, and `value` stored for `key` until `untilSeconds`, when it is greater than what `key`
   * holds (anything, when it holds nothing); false when it holds as much or more. Rejects with
   * StoreUnavailableError when the store is down.
   */
  raise(key: string, value: number, untilSeconds: number): Promise<boolean>
  /** Keeps `value` under `key` until `untilSeconds`, for whichever factory takes it. */
  hold(key: string, value: string, untilSeconds: number): Promise<void>
  /** The value held under `key`, removed in the same step: one taker gets it, at any factory. */
  take(key: string): Promise<string | undefined>
  failures: FailureFeed
}

/**
 * What a failure counts against: a login's user name (`u`) or address (`a`), a client's
 * `<client_id> from <address>` (`c`) or address (`ca`), as the throttles keep them apart.
 */
export type FailureScope = 'u' | 'a' | 'c' | 'ca'

export const FAILURE_SCOPES: readonly FailureScope[] = ['u', 'a', 'c', 'ca']

export type FailureListener = (scope: FailureScope, name: string, atMs: number) => void

/**
 * Failures told to every factory sharing the store. The throttles keep deciding from memory, so
 * a login never waits on the store for them, and goes on deciding when it is down.
 */
export interface FailureFeed {
  /** Fire and forget: an error (the store down) is logged, never thrown. */
  publish(scope: FailureScope, name: string, atMs: number): void
  /** Every failure another factory publishes from now on, once each; never this one's own. */
  subscribe(onFailure: FailureListener): { close(): void }
}
