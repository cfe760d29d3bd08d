import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type CryptoKey,
  type JWSHeaderParameters,
} from 'jose'
import type { SigningAlgorithm } from './algorithms.ts'
import { KeysUnavailableError } from './jose-errors.ts'
import type { VerificationKey } from './signing-key.ts'

/** Finds the key for a token header, and says which algorithms that key may verify. */
export interface KeySource {
  /** Which key set this is, for refusals: "servicea's keys at jwt-factory", a file, a URL. */
  readonly name: string
  /** The process that serves these keys, when they come over the network. */
  readonly hop?: string
  resolve(header: JWSHeaderParameters): Promise<ResolvedKey | undefined> | ResolvedKey | undefined
  /** For a set fetched over the network: what is cached now, for the trace and the console. */
  cache?(): KeySetCache
}

/** A fetched key set's cache: when it came, when it goes stale, which keys it holds. */
export interface KeySetCache {
  url: string
  /** Milliseconds since the epoch (the source's clock); absent before the first fetch. */
  fetchedAt?: number
  staleAt?: number
  kids: string[]
}

export interface ResolvedKey {
  key: CryptoKey
  algorithms: readonly SigningAlgorithm[]
}

/**
 * Keys held in this process. A token naming a `kid` gets exactly that key; a token without one
 * (jsonwebtoken, which the original demo used, writes none) gets the active key. Each key is
 * pinned to its own algorithm.
 */
export function localKeys(
  lookup: (kid: string | undefined) => VerificationKey | undefined,
  name = 'the local key set',
): KeySource {
  return {
    name,
    resolve(header) {
      const found = lookup(header.kid)
      return found && { key: found.publicKey, algorithms: [found.alg] }
    },
  }
}

/** A fixed list of keys, e.g. one service's public key read from a file. */
export function keyList(keys: readonly VerificationKey[], name = 'the key list'): KeySource {
  const byKid = new Map(keys.map((k) => [k.kid, k]))
  const lookup = (kid: string | undefined) =>
    kid === undefined ? (keys.length === 1 ? keys[0] : undefined) : byKid.get(kid)
  return localKeys(lookup, name)
}

export interface RemoteKeysOptions {
  /** Algorithms accepted from this issuer: pinned by configuration, never by the token. */
  algorithms: readonly SigningAlgorithm[]
  /** For refusals; default "the JWKS at <url>". */
  name?: string
  /** The process serving the set, named when it cannot be reached; default the URL's host. */
  hop?: string
  /** A fetch that trusts the right CA (undici's, with the process's Agent). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>
  timeoutMs?: number
  /** Least time between two fetches: on an unknown `kid`, and the floor of the server's max-age. */
  cooldownMs?: number
  /** How long a set is used when the server's answer has no Cache-Control max-age; the cap too. */
  cacheMaxAgeMs?: number
  /** The clock (milliseconds), for tests. */
  now?: () => number
}

/**
 * A JWKS fetched from a URL and cached by jose: fetched once, refetched on an unknown `kid` (at
 * most once per cooldown), and refetched once the server's `Cache-Control: max-age` has passed
 * (RFC 9111 §5.2.2.1), so a retired key stops verifying when its publisher said it would. Never
 * fetched per request: max-age is held to at least the cooldown.
 */
export function remoteKeys(url: string | URL, options: RemoteKeysOptions): KeySource {
  const { algorithms, timeoutMs = 5000, cooldownMs = 30_000, cacheMaxAgeMs = 600_000 } = options
  if (algorithms.length === 0) throw new TypeError('remoteKeys: algorithms must not be empty')
  const now = options.now ?? Date.now
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
  let staleAt = -Infinity
  let fetchedAt: number | undefined
  const jwks = createRemoteJWKSet(new URL(url), {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    // Freshness is this function's to judge, from the answer's max-age.
    cacheMaxAge: Number.POSITIVE_INFINITY,
    [customFetch]: async (input: string, init: RequestInit) => {
      const response = await fetchImpl(input, init)
      if (response.status === 200) {
        const maxAge = maxAgeMs(response.headers.get('cache-control')) ?? cacheMaxAgeMs
        fetchedAt = now()
        staleAt = fetchedAt + Math.min(Math.max(maxAge, cooldownMs), cacheMaxAgeMs)
      }
      return response
    },
  })
  return {
    name: options.name ?? `the JWKS at ${String(url)}`,
    hop: options.hop ?? new URL(url).host,
    async resolve(header) {
      try {
        if (now() >= staleAt && jwks.fresh) await jwks.reload()
        return { key: await jwks(header), algorithms }
      } catch (err) {
        throw isFetchFailure(err) ? new KeysUnavailableError(`${String(url)}`, { cause: err }) : err
      }
    },
    cache() {
      const kids = (jwks.jwks()?.keys ?? []).flatMap((k) =>
        typeof k.kid === 'string' ? [k.kid] : [],
      )
      return {
        url: String(url),
        kids,
        ...(fetchedAt === undefined ? {} : { fetchedAt, staleAt }),
      }
    },
  }
}

/** `max-age` of a Cache-Control value, in milliseconds; undefined when absent or unreadable. */
function maxAgeMs(cacheControl: string | null): number | undefined {
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?\s*(?:,|$)/i.exec(cacheControl ?? '')
  return match ? Number(match[1]) * 1000 : undefined
}

/**
 * jose passes fetch's own errors through (refused connection, TLS failure, undici's timeouts)
 * and reports a non-200 or non-JSON answer as a bare JOSEError, an answer that is no key set as
 * ERR_JWKS_INVALID: none of them is the token's fault. Its other errors (no matching key,
 * unsupported alg, timeout) are kept.
 */
const isFetchFailure = (err: unknown) =>
  !(err instanceof errors.JOSEError) ||
  err.code === 'ERR_JOSE_GENERIC' ||
  err.code === 'ERR_JWKS_INVALID'
