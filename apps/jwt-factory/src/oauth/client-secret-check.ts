import { createHash, timingSafeEqual } from 'node:crypto'
import type { PasswordHash } from '../users/password-hash.ts'
import { verifyPasswordOrDummy } from '../users/password-hash.ts'
import { LoginThrottle } from '../login/login-throttle.ts'
import type { FailureFeed } from '../stores/shared-state.ts'

export interface ClientSecretCheckOptions {
  windowSeconds: number
  maxFailuresPerClient: number
  maxFailuresPerAddress: number
  now: () => Date
  /** Failures shared with the other factories on the same store (LoginThrottle). */
  failures?: FailureFeed
}

/** How many clients' verified secrets are kept; past it the oldest goes (it costs a scrypt run). */
const MAX_REMEMBERED = 1000

/**
 * A client secret checked against its scrypt hash, at the cost of a login once per client and
 * secret, not once per request: a service asking for a token or introspecting at every call
 * would otherwise pay a scrypt run (tens of MiB, a large share of a core) each time.
 *
 * After a secret verified, the SHA-256 of it is kept in memory beside the hash it matched, and
 * the next request with the same secret compares digests in constant time. The file keeps only
 * the scrypt hash, so a copy of it still yields nothing to guess cheaply; a new secret
 * (`npm run clients -- rotate-secret`) is a new hash, which no remembered digest matches.
 *
 * Failures are throttled as logins are (the same window and limits, per client_id and address,
 * and per address): each wrong secret costs a scrypt run, and an unthrottled endpoint would let
 * anyone guess secrets or load the CPU for free.
 */
export class ClientSecretCheck {
  readonly #verified = new Map<string, { hash: PasswordHash; digest: Buffer }>()
  readonly #throttle: LoginThrottle

  constructor(options: ClientSecretCheckOptions) {
    this.#throttle = new LoginThrottle({
      windowSeconds: options.windowSeconds,
      maxFailuresPerUser: options.maxFailuresPerClient,
      maxFailuresPerAddress: options.maxFailuresPerAddress,
      now: options.now,
      failures: options.failures,
      // Apart from the logins', as the two throttles are: a login's name is no client's.
      scopes: { user: 'c', address: 'ca' },
    })
  }

  /** True when `secret` is the client's; throws a 429 (TooManyRequestsError) when throttled. */
  async matches(
    id: string,
    secret: string,
    stored: PasswordHash | undefined,
    address: string,
  ): Promise<boolean> {
    const digest = sha256(secret)
    const known = this.#verified.get(id)
    if (stored !== undefined && known && sameHash(known.hash, stored)) {
      if (timingSafeEqual(known.digest, digest)) return true
    }
    // Per client and address, not per client alone: wrong secrets sent from elsewhere must not
    // lock the client itself out. The address's own limit still bounds a guesser.
    const who = `${id} from ${address}`
    const end = this.#throttle.begin(who, address)
    try {
      if (!(await verifyPasswordOrDummy(secret, stored)) || stored === undefined) {
        this.#throttle.failed(who, address)
        return false
      }
      this.#throttle.succeeded(who)
      this.#remember(id, stored, digest)
      return true
    } finally {
      end()
    }
  }

  #remember(id: string, hash: PasswordHash, digest: Buffer): void {
    this.#verified.delete(id)
    this.#verified.set(id, { hash, digest })
    if (this.#verified.size > MAX_REMEMBERED) {
      this.#verified.delete(this.#verified.keys().next().value!)
    }
  }
}

/** The same stored hash, whether or not the clients file was read again since. */
const sameHash = (a: PasswordHash, b: PasswordHash) =>
  a.salt === b.salt && a.hash === b.hash && a.N === b.N && a.r === b.r && a.p === b.p

const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest()
