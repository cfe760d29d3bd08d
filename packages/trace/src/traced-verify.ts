import {
  verifyToken,
  verifyTokenWithReport,
  type KeySource,
  type VerifyResult,
  type VerifyTokenOptions,
} from '@jwt-factory/jwt'
import type { Trace } from './trace.ts'
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
  const { compact: _compact, ...view } = viewToken(token, source ? { source } : {})
  span.end({
    status: verdictStatus(result),
    token: view,
    verification: report,
    result: outcome(result),
  })
  return result
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
