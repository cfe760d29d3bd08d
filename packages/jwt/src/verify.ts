import { decodeProtectedHeader, errors, type JWSHeaderParameters, type JWTPayload } from 'jose'
import { actChainText, actorsOf, isActChain } from './act-chain.ts'
import { findDuplicateMember } from './duplicate-members.ts'
import {
  failedCheckOf,
  failureFromJoseError,
  noMatchingKey,
  type RefusalContext,
} from './jose-errors.ts'
import type { KeySource } from './key-source.ts'
import { expectedTyp } from './token-type.ts'
import {
  ACT_CHECK,
  REQUIRED_CLAIMS,
  type CheckName,
  type VerificationReport,
} from './verification-report.ts'
import { reportOf } from './verify-report.ts'
import { verifyCompactJwt } from './verify-compact.ts'
import { verifyFailure, type VerifyResult } from './verify-result.ts'

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30

/** Far above any token this product issues; refuses oversized input before any parsing. */
export const MAX_TOKEN_LENGTH = 8192

export interface VerifyTokenOptions {
  issuer?: string | undefined
  audience?: string | undefined
  subject?: string | undefined
  /**
   * Required `typ` header (default "JWT"; user tokens use "at+jwt", RFC 9068). `false`: none is
   * required, for tokens whose standard defines none (RFC 7523 client assertions).
   */
  typ?: string | false | undefined
  /** Claims that must be present (default REQUIRED_CLAIMS; RFC 7523 assertions need no iat). */
  requiredClaims?: readonly string[]
  /** Leeway for exp, nbf and iat, in seconds (default 30). */
  clockToleranceSeconds?: number
  /**
   * The `act` chain the token must carry, most recent actor first: exactly these services, in
   * this order; `[]` for none. Unset: the chain is not checked. Stricter than RFC 8693 §4.1,
   * where only the current actor counts for access control and the nested ones are
   * informational: a verifier that asks for the whole chain refuses a hop that skipped the
   * one before it (scenario 6: serviceb exchanging a user's own login token for servicec).
   */
  actors?: readonly string[] | undefined
  /** The verifier's clock; tests pass a time instead of waiting for one. */
  currentDate?: Date
}

/**
 * Verifies a compact JWT. Never throws: every failure comes back as `{ valid: false, error }`
 * with a `code` to switch on. jose checks the structure, `crit`, the algorithm against the key's
 * own (never the token's `alg`), `typ` and the registered claims; node:crypto the signature of an
 * ordinary token, jose any other's (verify-compact.ts). This adds
 * only what jose lets through: a length cap, duplicate member names (duplicate-members.ts), a
 * `kid` that must name a key of the set consulted, and an `iat` in the future. `jku`, `x5u`,
 * `x5c` and an embedded `jwk` are never dereferenced (RFC 8725 §3.1). Both forms of an ECDSA
 * signature verify (RFC 7518 §3.4 asks for neither): a token is told apart by its `jti`.
 */
export async function verifyToken(
  token: string,
  keys: KeySource,
  options: VerifyTokenOptions = {},
): Promise<VerifyResult> {
  return (await runVerification(token, keys, options)).result
}

/**
 * verifyToken, and what it checked in the order it checked it (verify-report.ts): for the trace
 * and the console, which show a learner every check that passed before the one that failed.
 */
export async function verifyTokenWithReport(
  token: string,
  keys: KeySource,
  options: VerifyTokenOptions = {},
): Promise<{ result: VerifyResult; report: VerificationReport }> {
  const run = await runVerification(token, keys, options)
  return { result: run.result, report: reportOf(token, keys, options, run) }
}

/** One verification's outcome, and where it stopped. */
export interface VerificationRun {
  result: VerifyResult
  /** The first check that failed; absent when the token was accepted. */
  failed?: CheckName
  /** The protected header, once it could be read. */
  header?: JWSHeaderParameters
  /** The key was never looked up: a key set refused the token's alg while choosing one. */
  keyNotLookedUp?: boolean
  now: Date
  clockToleranceSeconds: number
}

async function runVerification(
  token: string,
  keys: KeySource,
  options: VerifyTokenOptions,
): Promise<VerificationRun> {
  const started = startRun(token, keys, options)
  if ('done' in started) return started.done
  const { header, context, stop } = started
  let resolved
  try {
    // A copy: what decides how the token is verified is the token's header, whatever a source does.
    resolved = await keys.resolve({ ...header })
  } catch (err) {
    const failed = failedCheckOf(err, 'key')
    const run = stop(failureFromJoseError(err, context), failed, header)
    return failed === 'alg' ? { ...run, keyNotLookedUp: true } : run
  }
  if (!resolved) return stop(noMatchingKey(context), 'key', header)
  try {
    const { payload } = await verifyCompactJwt(token, header, resolved.key, {
      algorithms: [...resolved.algorithms],
      ...claimOptions(started),
    })
    return finishRun(payload, started)
  } catch (err) {
    // With the key in hand, "not supported" is an unknown `crit` extension (RFC 7515 §4.1.11).
    if (err instanceof errors.JOSENotSupported) return stop(malformed(), 'format', header)
    return stop(failureFromJoseError(err, context), failedCheckOf(err, 'token'), header)
  }
}

/** A run under way: its readable header, what a refusal says, and how it stops. */
export interface StartedRun {
  header: JWSHeaderParameters
  context: RefusalContext
  options: VerifyTokenOptions
  stop: (result: VerifyResult, failed?: CheckName, header?: JWSHeaderParameters) => VerificationRun
}

/**
 * What every verification does first: the clock and the leeway, the length cap, a readable
 * header without duplicate members or an odd `kid`. `done` when the token stopped there.
 */
export function startRun(
  token: string,
  keys: Pick<KeySource, 'name' | 'hop'>,
  options: VerifyTokenOptions,
): StartedRun | { done: VerificationRun } {
  const now = options.currentDate ?? new Date()
  const clockToleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  const stop = (result: VerifyResult, failed?: CheckName, header?: JWSHeaderParameters) => ({
    result,
    now,
    clockToleranceSeconds,
    ...(failed ? { failed } : {}),
    ...(header ? { header } : {}),
  })
  if (typeof token !== 'string' || token.length === 0) {
    const failure = verifyFailure('JsonWebTokenError', 'ERR_JWS_INVALID', 'jwt must be provided')
    return { done: stop(failure, 'format') }
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    const failure = verifyFailure('JsonWebTokenError', 'ERR_JWS_INVALID', 'jwt malformed')
    return { done: stop(failure, 'format') }
  }
  const header = readHeader(token)
  if (!header) return { done: stop(malformed(), 'format') }
  const context: RefusalContext = {
    expected: { ...options, typ: expectedTyp(options.typ) },
    seen: {
      ...(header.kid !== undefined ? { kid: header.kid } : {}),
      ...(typeof header.typ === 'string' ? { typ: header.typ } : {}),
    },
    keys,
    now,
    clockToleranceSeconds,
  }
  return { header, context, options, stop }
}

/** What jose checks of the claims, the same for every run. */
export const claimOptions = ({ context, options }: StartedRun) => ({
  issuer: options.issuer,
  audience: options.audience,
  subject: options.subject,
  typ: context.expected.typ,
  clockTolerance: context.clockToleranceSeconds,
  requiredClaims: [...(options.requiredClaims ?? REQUIRED_CLAIMS)],
  currentDate: context.now,
})

/**
 * The claims jose accepted, the one check it leaves out (an iat in the future), and the `act`
 * chain when the verifier expects one.
 */
export function finishRun(payload: JWTPayload, { header, context, options, stop }: StartedRun) {
  const { now, clockToleranceSeconds } = context
  // jose checks that iat is in the past only together with maxTokenAge; a token "issued" in
  // the future (minted ahead for later use) is refused regardless (RFC 7519 §4.1.6).
  if ((payload.iat as number) > Math.floor(now.getTime() / 1000) + clockToleranceSeconds) {
    const failure = verifyFailure(
      'JsonWebTokenError',
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      'jwt issued in the future',
      { now: now.toISOString(), clockToleranceSeconds },
    )
    return stop(failure, 'iat', header)
  }
  if (options.actors !== undefined && !isActChain(payload, options.actors)) {
    const expected = actChainText(options.actors)
    const seen = actChainText(actorsOf(payload))
    const message = `jwt act chain invalid. expected: ${expected}, seen: ${seen}`
    return stop(
      verifyFailure('JsonWebTokenError', 'ERR_JWT_CLAIM_VALIDATION_FAILED', message),
      ACT_CHECK,
      header,
    )
  }
  return stop({ valid: true, claims: payload }, undefined, header)
}

const malformed = () => verifyFailure('JsonWebTokenError', 'ERR_JWT_INVALID', 'jwt malformed')

/**
 * The protected header, or undefined when the token is unreadable, has duplicate members, or a
 * `kid` that is not a string (RFC 7515 §4.1.4): an object such as `{"$ne": null}` must never
 * reach a key lookup, where a store's query language might read it.
 */
function readHeader(token: string): JWSHeaderParameters | undefined {
  const json = token.split('.', 2).map((s) => Buffer.from(s, 'base64url').toString('utf8'))
  if (json.some((text) => findDuplicateMember(text) !== undefined)) return undefined
  let header: JWSHeaderParameters
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return undefined
  }
  return 'kid' in header && typeof header.kid !== 'string' ? undefined : header
}
