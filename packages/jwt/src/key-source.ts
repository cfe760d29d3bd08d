import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type CryptoKey,
  type JWSHeaderParameters,
} from 'jose'
import type { SigningAlgorithm } from './algorithms.ts'
import type { VerificationKey } from './signing-key.ts'

/** Finds the key for a token header, and says which algorithms that key may verify. */
export interface KeySource {
  resolve(header: JWSHeaderParameters): Promise<ResolvedKey | undefined> | ResolvedKey | undefined
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
): KeySource {
  return {
    resolve(header) {
      const found = lookup(typeof header.kid === 'string' ? header.kid : undefined)
      return found && { key: found.publicKey, algorithms: [found.alg] }
    },
  }
}

/** A fixed list of keys, e.g. one service's public key read from a file. */
export function keyList(keys: readonly VerificationKey[]): KeySource {
  const byKid = new Map(keys.map((k) => [k.kid, k]))
  return localKeys((kid) =>
    kid === undefined ? (keys.length === 1 ? keys[0] : undefined) : byKid.get(kid),
  )
}

export interface RemoteKeysOptions {
  /** Algorithms accepted from this issuer: pinned by configuration, never by the token. */
  algorithms: readonly SigningAlgorithm[]
  /** A fetch that trusts the right CA (undici's, with the process's Agent). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>
  timeoutMs?: number
  /** Minimum time between refetches when a token names an unknown kid. */
  cooldownMs?: number
  cacheMaxAgeMs?: number
}

/**
 * A JWKS fetched from a URL and cached by jose: fetched once, refetched on an unknown `kid`
 * (at most once per cooldown), never per request.
 */
export function remoteKeys(url: string | URL, options: RemoteKeysOptions): KeySource {
  const {
    algorithms,
    fetch,
    timeoutMs = 5000,
    cooldownMs = 30_000,
    cacheMaxAgeMs = 600_000,
  } = options
  if (algorithms.length === 0) throw new TypeError('remoteKeys: algorithms must not be empty')
  const jwks = createRemoteJWKSet(new URL(url), {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    cacheMaxAge: cacheMaxAgeMs,
    ...(fetch ? { [customFetch]: fetch } : {}),
  })
  return {
    async resolve(header) {
      try {
        return { key: await jwks(header), algorithms }
      } catch (err) {
        throw isFetchFailure(err) ? new JwksUnavailable(url, err) : err
      }
    },
  }
}

/**
 * jose passes fetch's own errors through (refused connection, TLS failure, undici's timeouts)
 * and reports a non-200 or non-JSON answer as a bare JOSEError: none of them is the token's
 * fault. Its specific errors (no matching key, unsupported alg, timeout, invalid set) are kept.
 */
const isFetchFailure = (err: unknown) =>
  !(err instanceof errors.JOSEError) || err.code === 'ERR_JOSE_GENERIC'

/** The JWKS could not be had; verification reports it with a keys-unavailable code (a 503). */
class JwksUnavailable extends errors.JOSEError {
  static override code = 'ERR_JWKS_UNAVAILABLE'
  override code = 'ERR_JWKS_UNAVAILABLE'
  constructor(url: string | URL, cause: unknown) {
    super(`JSON Web Key Set ${String(url)} could not be fetched`, { cause })
  }
}
