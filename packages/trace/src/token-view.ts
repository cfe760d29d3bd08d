import { decodeTokenParts } from '@jwt-factory/jwt'
import type { TokenView } from './span.ts'

/**
 * A token as a span shows it: its header and claims decoded (not verified), and the compact form
 * for the answer to the request that produced it (loggableSpan drops it from log lines).
 */
export function viewToken(
  compact: string,
  extra: Pick<TokenView, 'source' | 'expired'> = {},
): TokenView {
  const parts = decodeTokenParts(compact)
  return {
    header: parts?.header ?? {},
    claims: parts?.claims ?? {},
    ...extra,
    compact,
  }
}
