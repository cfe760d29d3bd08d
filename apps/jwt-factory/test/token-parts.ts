/** A compact JWS split and decoded by hand: these tests take nothing from the product's code. */
export interface TokenParts {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `<header>.<payload>` as ASCII bytes: what the signature covers (RFC 7515 §5.2). */
  signingInput: Buffer
  signature: Buffer
}

export function splitToken(token: string): TokenParts {
  const parts = token.split('.')
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${parts.length} parts`)
  const [header, payload, signature] = parts as [string, string, string]
  return {
    header: decodeJson(header),
    payload: decodeJson(payload),
    signingInput: Buffer.from(`${header}.${payload}`, 'ascii'),
    signature: Buffer.from(signature, 'base64url'),
  }
}

const decodeJson = (segment: string) =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
