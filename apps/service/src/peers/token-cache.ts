import { tokenKid } from '@jwt-factory/jwt'

/** A token from the factory, as POST /issueToken answers it. */
export interface IssuedToken {
  token: string
  /** Expiry, in seconds since the epoch. */
  exp: number
}

/** A token is replaced this long before it expires, so a caller never sends one about to lapse. */
export const REFRESH_BEFORE_SECONDS = 60

export type TokenSource = 'cached' | 'issued'

/** What the cache holds for one audience, as the console shows it: never the token itself. */
export interface CachedTokenEntry {
  aud: string
  /** The key that signed it (the token header's kid); absent when the header names none. */
  kid?: string
  /** Its `exp`, in milliseconds since the epoch. */
  expiresAt: number
  /** Until when it is reused: REFRESH_BEFORE_SECONDS before it expires (ms since the epoch). */
  reusedUntil: number
}

/**
 * servicea's tokens from the factory, one per audience, reused until they are close to expiry,
 * as real clients do: scenario 1 then costs no factory round-trip. Concurrent misses for one
 * audience share one request to the factory, so a burst does not become a burst of issues.
 */
export class TokenCache {
  readonly #tokens = new Map<string, IssuedToken>()
  readonly #pending = new Map<string, Promise<IssuedToken>>()

  constructor(private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

  /** Every audience's cached token, by audience, described without the token. */
  entries(): CachedTokenEntry[] {
    return [...this.#tokens]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([aud, { token, exp }]) => ({
        aud,
        kid: tokenKid(token),
        expiresAt: exp * 1000,
        reusedUntil: (exp - REFRESH_BEFORE_SECONDS) * 1000,
      }))
  }

  /** Drops `token` for `aud` (a hop refused it), unless a newer one has taken its place. */
  forget(aud: string, token: string): void {
    if (this.#tokens.get(aud)?.token === token) this.#tokens.delete(aud)
  }

  /** A valid token for `aud`: the cached one, or one from `issue` (shared by concurrent misses). */
  async get(
    aud: string,
    issue: () => Promise<IssuedToken>,
    { fresh = false } = {},
  ): Promise<{ token: string; source: TokenSource }> {
    const cached = this.#tokens.get(aud)
    if (!fresh && cached && cached.exp - this.nowSeconds() > REFRESH_BEFORE_SECONDS) {
      return { token: cached.token, source: 'cached' }
    }
    let pending = fresh ? undefined : this.#pending.get(aud)
    if (!pending) {
      pending = issue().finally(() => {
        if (this.#pending.get(aud) === pending) this.#pending.delete(aud)
      })
      this.#pending.set(aud, pending)
    }
    const issued = await pending
    this.#tokens.set(aud, issued)
    return { token: issued.token, source: 'issued' }
  }
}
