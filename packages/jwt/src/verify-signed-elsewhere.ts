import { UnsecuredJWT } from 'jose'
import { failedCheckOf, failureFromJoseError } from './jose-errors.ts'
import type { CheckName, VerificationReport } from './verification-report.ts'
import { reportOf } from './verify-report.ts'
import { verifyFailure, type VerifyResult } from './verify-result.ts'
import {
  claimOptions,
  finishRun,
  startRun,
  type VerificationRun,
  type VerifyTokenOptions,
} from './verify.ts'

/** The verifier that checked a token's signature before this one saw it, as a report names it. */
export interface SignatureCheckedBy {
  /** Who it is in the report's checks: `mesh`. */
  by: string
  /** Who this verifier is, named beside it for a claim both checked: `serviceb`. */
  self: string
  /** The key set it verified with, by name. */
  keys: string
  /** The claim checks it made too, which this verifier makes again: Istio's iss, aud, nbf, exp. */
  alsoChecked: readonly CheckName[]
}

/** What only the other verifier can check: it holds the keys. */
const SIGNATURE_CHECKS: readonly CheckName[] = ['key', 'alg', 'signature']

/**
 * The checks verifyToken makes once the signature holds, for a token whose signature another
 * verifier has already checked: a mesh's sidecar, which verified it against the issuer's key set
 * and hands the app its payload. `typ` and the claims (required, iss, sub, aud, nbf, exp, iat)
 * are checked with jose's own claim rules, so each means here what it means in verifyToken; the
 * key, alg and signature checks are reported as the other verifier's. The caller must know the
 * other verifier checked this very token (for the mesh: its payload header is this token's
 * payload segment); this function cannot tell, and checks no signature.
 */
export function verifySignedElsewhere(
  token: string,
  checkedBy: SignatureCheckedBy,
  options: VerifyTokenOptions = {},
): { result: VerifyResult; report: VerificationReport } {
  const keys = { name: checkedBy.keys }
  const run = runClaimChecks(token, keys, options)
  const report = reportOf(token, keys, options, run)
  const checks = report.checks.map((check) => {
    if (check.status !== 'passed') return check
    if (SIGNATURE_CHECKS.includes(check.name)) return { ...check, by: [checkedBy.by] }
    if (checkedBy.alsoChecked.includes(check.name))
      return { ...check, by: [checkedBy.by, checkedBy.self] }
    return check
  })
  return { result: run.result, report: { ...report, checks } }
}

function runClaimChecks(
  token: string,
  keys: { name: string },
  options: VerifyTokenOptions,
): VerificationRun {
  const started = startRun(token, keys, options)
  if ('done' in started) return started.done
  const { header, context, stop } = started
  // A `crit` names extensions the verifier must understand or refuse the token (RFC 7515
  // §4.1.11); verifyToken understands none (jose refuses them), and the unsecured JWT below
  // would silently drop the header, so refuse it here as verifyToken does.
  if (header.crit !== undefined) {
    const failure = verifyFailure('JsonWebTokenError', 'ERR_JWT_INVALID', 'jwt malformed')
    return stop(failure, 'format', header)
  }
  // jose's claim checks run on an unsecured JWT (RFC 7519 §6) made of this token's own `typ`
  // and payload segment: the signature is the other verifier's, every claim rule is jose's.
  const unsecuredHeader = { alg: 'none', ...(header.typ === undefined ? {} : { typ: header.typ }) }
  const payload = token.split('.')[1] ?? ''
  const unsecured = `${Buffer.from(JSON.stringify(unsecuredHeader)).toString('base64url')}.${payload}.`
  try {
    return finishRun(UnsecuredJWT.decode(unsecured, claimOptions(started)).payload, started)
  } catch (err) {
    return stop(failureFromJoseError(err, context), failedCheckOf(err, 'token'), header)
  }
}
