import type { Context } from 'hono'
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  USER_TOKEN_TYPE,
  verifyToken,
  type KeySource,
  type VerifyResult,
  type VerifyTokenOptions,
} from '@jwt-factory/jwt'

/** How requireAuth has a token verified: verifyToken's arguments, and the request. */
export type TokenVerifier = (
  token: string,
  keys: KeySource,
  options: VerifyTokenOptions,
  c: Context,
) => Promise<VerifyResult>

export interface RequireAuthOptions {
  /** Expected `iss`: the factory's issuer URL. */
  issuer: string
  /** Expected `aud`: this service's own name. */
  audience: string
  /** Where verification keys come from: remoteKeys, keyList or localKeys (see requireAuth). */
  keys: KeySource
  /** One permission the `scope` claim must hold (e.g. `app-view`). */
  permission?: string
  /** Scopes the `scope` claim must all hold. */
  scopes?: readonly string[]
  /** Lowest acceptable assurance `level` (2 password, 3 with a second factor; may be 3.1 etc.). */
  minLevel?: number
  /** Required `typ` header; default `at+jwt` (user tokens, RFC 9068). `JWT` for service tokens. */
  tokenType?: string
  /** `realm` of the WWW-Authenticate challenge; default the audience. */
  realm?: string
  /** Leeway for exp, nbf and iat, in seconds; default 30, at most 300. */
  clockToleranceSeconds?: number
  /** Default verifyToken; a traced route passes one that also records what was checked. */
  verify?: TokenVerifier
}

/** The options as checked once, with defaults applied. */
export interface CheckedOptions {
  issuer: string
  audience: string
  keys: KeySource
  /** permission first, then scopes, without duplicates; empty when none is required. */
  requiredScopes: readonly string[]
  minLevel: number | undefined
  tokenType: string
  realm: string
  clockToleranceSeconds: number
  verify: TokenVerifier
}

/** RFC 7519 §4.1.4 allows "a small leeway, usually no more than a few minutes". */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof RequireAuthOptions>([
  'issuer',
  'audience',
  'keys',
  'permission',
  'scopes',
  'minLevel',
  'tokenType',
  'realm',
  'clockToleranceSeconds',
  'verify',
])

/** A scope token (RFC 6749 §3.3): printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * Checks the options once, when the middleware is created, so a misconfigured route fails at
 * start-up instead of answering (or worse, admitting) requests. Unknown keys are refused too: a
 * misspelt `permissions` would otherwise silently drop the permission check.
 */
export function checkOptions(options: RequireAuthOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('requireAuth: options must be an object { issuer, audience, keys, … }')
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`requireAuth: unknown option "${key}"`)
  }
  const { issuer, audience, keys, permission, scopes, minLevel, tokenType, realm } = options
  requireString('issuer', issuer)
  requireString('audience', audience)
  if (typeof keys !== 'object' || keys === null || typeof keys.resolve !== 'function') {
    throw new TypeError('requireAuth: keys must be a KeySource (remoteKeys, keyList or localKeys)')
  }
  if (permission !== undefined) requireScopeToken('permission', permission)
  if (scopes !== undefined) {
    if (!Array.isArray(scopes)) {
      throw new TypeError('requireAuth: scopes must be an array of strings')
    }
    scopes.forEach((scope, i) => requireScopeToken(`scopes[${i}]`, scope))
  }
  if (minLevel !== undefined && !isNumberBetween(minLevel, 0, Number.MAX_VALUE)) {
    throw new TypeError(`requireAuth: minLevel must be a number >= 0, got ${String(minLevel)}`)
  }
  if (tokenType !== undefined) requireString('tokenType', tokenType)
  if (realm !== undefined) requireString('realm', realm)
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  if (!isNumberBetween(tolerance, 0, MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new TypeError(
      `requireAuth: clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS}, ` +
        `got ${String(tolerance)}`,
    )
  }
  if (options.verify !== undefined && typeof options.verify !== 'function') {
    throw new TypeError('requireAuth: verify must be a function like verifyToken')
  }
  const required = [...(permission === undefined ? [] : [permission]), ...(scopes ?? [])]
  return {
    issuer,
    audience,
    keys,
    requiredScopes: [...new Set(required)],
    minLevel,
    tokenType: tokenType ?? USER_TOKEN_TYPE,
    realm: realm ?? audience,
    clockToleranceSeconds: tolerance,
    verify: options.verify ?? verifyToken,
  }
}

function requireString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`requireAuth: ${name} must be a non-empty string`)
  }
}

function requireScopeToken(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !SCOPE_TOKEN.test(value)) {
    const got = JSON.stringify(value)
    throw new TypeError(`requireAuth: ${name} must be one scope token (RFC 6749 §3.3), got ${got}`)
  }
}

const isNumberBetween = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
