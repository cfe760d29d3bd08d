import type { PublicJwk, VerificationKey } from './signing-key.ts'

export interface Jwks {
  keys: PublicJwk[]
}

/** A JWKS (RFC 7517 §5) of public keys: what Istio's `jwksUri` and any JWKS client consume. */
export function toJwks(keys: Iterable<VerificationKey>): Jwks {
  return { keys: Array.from(keys, (k) => k.publicJwk) }
}
