/** A compact JWS's three parts, as the token panel colours them (jwt.io's red, purple, blue). */
export interface TokenSegments {
  header: string
  payload: string
  /** Empty for `alg: none`, whose compact form ends with the second dot. */
  signature: string
}

/** Splits a compact token at its two dots; anything else (no dots, more parts) is not a JWS. */
export function tokenSegments(compact: string): TokenSegments | undefined {
  const parts = compact.split('.')
  if (parts.length !== 3) return undefined
  const [header = '', payload = '', signature = ''] = parts
  return { header, payload, signature }
}
