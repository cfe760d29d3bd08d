import { createPublicKey } from 'node:crypto'
import {
  isSigningAlgorithm,
  KeyImportError,
  verificationKeyFromPem,
  type SigningAlgorithm,
} from '@jwt-factory/jwt'
import type { ClientPublicJwk } from './client-record.ts'

/** Members only a private JWK has (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2; `k` is a shared secret). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/**
 * A client's keys for private_key_jwt from a JWKS file's text. Each key goes through the factory's
 * own key import (RSA 2048 bits at least, P-256, Ed25519), so a key the factory could never verify
 * with is refused now, not at the first /token call. A private key is refused: it belongs to the
 * client alone.
 */
export async function publicJwksFromJwksText(text: string): Promise<ClientPublicJwk[]> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new KeyImportError('not valid JSON')
  }
  const keys = (value as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0)
    throw new KeyImportError('not a JWKS: it needs a non-empty "keys" array')
  return Promise.all(keys.map((jwk, i) => publicJwkFromJwk(jwk, `keys[${i}]`)))
}

async function publicJwkFromJwk(jwk: unknown, where: string): Promise<ClientPublicJwk> {
  if (typeof jwk !== 'object' || jwk === null) throw new KeyImportError(`${where} is not a JWK`)
  const members = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((m) => m in members))
    throw new KeyImportError(`${where} is a private or secret key; give only public keys`)
  let pem: string
  try {
    pem = createPublicKey({ key: members as never, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString()
  } catch (cause) {
    throw new KeyImportError(`${where} is not a readable public JWK`, { cause })
  }
  const preferred = isSigningAlgorithm(members.alg) ? members.alg : undefined
  const kid = typeof members.kid === 'string' && members.kid !== '' ? members.kid : undefined
  return publicJwkFromPem(pem, preferred, kid)
}

/** One public key PEM (SPKI or PKCS#1) as the client's only key. */
export async function publicJwkFromPem(
  pem: string,
  preferred: SigningAlgorithm = 'RS256',
  kid?: string,
): Promise<ClientPublicJwk> {
  const key = await verificationKeyFromPem(pem, preferred)
  const { kty, n, e, crv, x, y } = key.publicJwk
  // The client's own kid, when it has one, is what its assertions name; else the RFC 7638 thumbprint.
  const jwk = { kty, n, e, crv, x, y, kid: kid ?? key.kid, alg: key.alg, use: 'sig' as const }
  return Object.fromEntries(
    Object.entries(jwk).filter(([, v]) => v !== undefined),
  ) as ClientPublicJwk
}
