/**
 * What a verifier checked, in the order it checked it: for a learner, which checks passed before
 * the one that failed. jose runs the checks in this order (the header and key first, then the
 * signature, then `typ` and the claims); the first failure ends the run, so every check after it
 * is "not run".
 */
export const CHECK_ORDER = [
  /** A compact JWS within the length cap, no duplicate member names, a string `kid`. */
  'format',
  /** The key set consulted holds a key for the token's `kid` (and could be had at all). */
  'key',
  /** The token's `alg` is the one the key is pinned to; never read from the token alone. */
  'alg',
  'signature',
  'typ',
  /** REQUIRED_CLAIMS are present, iat a number (jose reads its type before nbf and exp). */
  'required',
  'iss',
  'sub',
  'aud',
  'nbf',
  'exp',
  /** Not issued in the future. */
  'iat',
] as const

/**
 * A check only a verifier that expects a delegation runs (`VerifyTokenOptions.actors`): the
 * token's `act` chain (RFC 8693 §4.1), exactly the services that carried it, which is stricter
 * than the RFC asks (see `actors`). It runs last, once every check above passed: who carried a
 * token matters only for a token that holds.
 */
export const ACT_CHECK = 'act'

export type CheckName = (typeof CHECK_ORDER)[number] | typeof ACT_CHECK

/** The claims every token must carry, whatever the verifier expects of their values. */
export const REQUIRED_CLAIMS = ['exp', 'iat', 'iss', 'sub', 'aud'] as const

export type CheckStatus = 'passed' | 'failed' | 'not run'

export interface Check {
  name: CheckName
  status: CheckStatus
  /** What the verifier required, when it required a value: `serviceb`, `JWT`, `ES256`. */
  expected?: string
  /** What the token carried (public values; never the signature). */
  seen?: string
  /**
   * Who ran the check, when not the verifier of the report alone: `['mesh']` for the signature a
   * mesh's sidecar verified before the app saw the token, `['mesh', 'serviceb']` for a claim both
   * checked (verifySignedElsewhere).
   */
  by?: string[]
}

export interface VerificationReport {
  /** The key set consulted, by name: "servicea's keys at jwt-factory". */
  keys: string
  /** The key the token was checked with, once one was found. */
  key?: { kid?: string; alg: string }
  /** For a key set fetched over the network: how long ago the set in use was fetched. */
  keysFetchedSecondsAgo?: number
  checks: Check[]
  /** The verifier's clock and the leeway it allowed for exp, nbf and iat. */
  clock: { now: string; toleranceSeconds: number }
  /** The first check that failed; absent when the token was accepted. */
  failed?: CheckName
}
