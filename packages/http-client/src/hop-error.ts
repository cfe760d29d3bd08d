import { BadGatewayError, GatewayTimeoutError, HttpError } from '@jwt-factory/server'

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
])

/** Short, stable reasons for the codes node and undici use when a hop cannot be reached. */
const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CLOSED: 'the HTTP client is closed',
  UND_ERR_DESTROYED: 'the HTTP client is closed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate not trusted',
  CERT_SIGNATURE_FAILURE: 'certificate not trusted',
  CERT_UNTRUSTED: 'certificate not trusted',
}

/**
 * The one translation of undici and node network errors into the product's errors: a timeout
 * is a 504 naming the hop, anything else that kept the hop from answering is a 502 naming it.
 * HttpErrors pass through unchanged, so callers may wrap a whole exchange.
 */
export function toHopError(
  hop: string,
  err: unknown,
  timeoutMs: number,
  connectTimeoutMs = timeoutMs,
): HttpError {
  if (err instanceof HttpError) return err
  const chain = causeChain(err)
  if (chain.some(isTimeout)) {
    const connecting = chain.some((e) => codeOf(e) === 'UND_ERR_CONNECT_TIMEOUT')
    const limit = connecting ? connectTimeoutMs : timeoutMs
    return noAnswer(
      new GatewayTimeoutError(hop, `${hop} did not answer within ${limit} ms`, { cause: err }),
    )
  }
  return noAnswer(
    new BadGatewayError(hop, `${hop} is unreachable: ${shortReason(chain)}`, { cause: err }),
  )
}

/** The errors toHopError made: the hop never answered (refused, reset, unreachable, too slow). */
const NO_ANSWER = new WeakSet<Error>()
const noAnswer = (err: HttpError) => (NO_ANSWER.add(err), err)

/**
 * Whether the hop never answered: the error is the caller's own 502/504, not one the hop sent.
 * A trace says so (`answered: false`), so the console draws nothing coming back from the hop.
 */
export const isNoAnswer = (err: unknown): boolean => err instanceof Error && NO_ANSWER.has(err)

function isTimeout(err: Error): boolean {
  // requestJson's deadline (like AbortSignal.timeout()) aborts with a DOMException named TimeoutError.
  return err.name === 'TimeoutError' || TIMEOUT_CODES.has(codeOf(err) ?? '')
}

function shortReason(chain: Error[]): string {
  for (const err of chain) {
    const code = codeOf(err)
    if (code === undefined) continue
    const known = REASONS[code]
    if (known) return known === 'certificate not trusted' ? `${known} (${code})` : known
    // OpenSSL alerts, e.g. the server wanted a client certificate we did not present.
    if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return `TLS handshake failed (${code})`
  }
  const first = chain[0]
  return first ? first.message || first.name : 'unknown error'
}

/** The error, its causes (fetch wraps the socket error) and, for AggregateError, its members. */
function causeChain(err: unknown): Error[] {
  const seen: Error[] = []
  const visit = (value: unknown): void => {
    if (!(value instanceof Error) || seen.includes(value) || seen.length > 16) return
    seen.push(value)
    if (value instanceof AggregateError) value.errors.forEach(visit)
    visit(value.cause)
  }
  visit(err)
  return seen
}

function codeOf(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' ? code : undefined
}
