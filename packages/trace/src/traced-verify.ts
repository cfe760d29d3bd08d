import {
  verifyToken,
  verifyTokenWithReport,
  type KeySource,
  type VerificationReport,
  type VerifyResult,
  type VerifyTokenOptions,
} from '@jwt-factory/jwt'
import type { OpenSpan, Trace } from './trace.ts'
import { viewToken } from './token-view.ts'

export interface TracedVerification {
  /** The process that verifies: the span's `from` and `to`. */
  by: string
  token: string
  keys: KeySource
  options: VerifyTokenOptions
  /** What the token is to the verifier, e.g. 'user' for scenario 5's user token. */
  source?: 'user'
}

/**
 * verifyToken, and when tracing a `verify` span with every check in the order it ran, the key
 * set consulted and the token as it came (no compact form: the call that carried it has that).
 */
export async function tracedVerify(
  trace: Trace,
  { by, token, keys, options, source }: TracedVerification,
): Promise<VerifyResult> {
  if (!trace.enabled) return verifyToken(token, keys, options)
  const span = trace.start({ kind: 'verify', from: by, to: by, call: `verify with ${keys.name}` })
  const { result, report } = await verifyTokenWithReport(token, keys, options)
  endVerifySpan(span, token, source, { result, report })
  return result
}

/**
 * A verification made otherwise than by verifyToken (verifySignedElsewhere: the mesh verified
 * the signature, the app the claims), traced as tracedVerify traces its own: one verify span.
 */
export function tracedVerification(
  trace: Trace,
  { by, token, call }: { by: string; token: string; call: string },
  verify: () => { result: VerifyResult; report: VerificationReport },
): VerifyResult {
  if (!trace.enabled) return verify().result
  const span = trace.start({ kind: 'verify', from: by, to: by, call })
  const verified = verify()
  endVerifySpan(span, token, undefined, verified)
  return verified.result
}

function endVerifySpan(
  span: OpenSpan,
  token: string,
  source: TracedVerification['source'],
  { result, report }: { result: VerifyResult; report: VerificationReport },
): void {
  const { compact: _compact, ...view } = viewToken(token, source ? { source } : {})
  span.end({
    status: verdictStatus(result),
    token: view,
    verification: report,
    result: outcome(result),
  })
}

/** A verdict as a status: 200, 403 for a refused token, 502/504 when the keys could not be had. */
export function verdictStatus(result: VerifyResult): number {
  if (result.valid) return 200
  if (result.error.code === 'ERR_JWKS_TIMEOUT') return 504
  return result.error.code === 'ERR_JWKS_UNAVAILABLE' ? 502 : 403
}

/** A verdict as the trace shows it in a line. */
export const outcome = (
  result: { valid: true } | { valid: false; error: { name: string; message: string } },
): string => (result.valid ? 'valid' : `${result.error.name}: ${result.error.message}`)
