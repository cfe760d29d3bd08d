/**
 * ES256 signatures in their one canonical form. An ECDSA signature (r, s) has a twin (r, n − s)
 * that verifies just as well, so anyone holding a token can make a second, different token
 * string with the same claims (signature malleability). Tokens are compared, cached, logged and
 * de-duplicated by their text, so this product signs only the low-S form and refuses the other
 * (the rule Bitcoin's BIP 62/146 and libsecp256k1 apply to the same problem).
 */

/** Order n of the P-256 group (FIPS 186-4 §D.1.2.3, SEC 2 §2.4.2). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const HALF_ORDER = P256_ORDER >> 1n

/** JWS ES256 signatures are R‖S, 32 bytes each, big-endian (RFC 7518 §3.4). */
export const ES256_SIGNATURE_BYTES = 64
const HALF = ES256_SIGNATURE_BYTES / 2

const toBigInt = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`)
const toBytes = (value: bigint) => Buffer.from(value.toString(16).padStart(HALF * 2, '0'), 'hex')

/**
 * True when `signature` is a well-formed ES256 signature in canonical form: exactly 64 bytes,
 * 1 ≤ r < n and 1 ≤ s ≤ n/2. Says nothing about whether it verifies.
 */
export function isCanonicalEs256Signature(signature: Uint8Array): boolean {
  if (signature.length !== ES256_SIGNATURE_BYTES) return false
  const r = toBigInt(signature.subarray(0, HALF))
  const s = toBigInt(signature.subarray(HALF))
  return r >= 1n && r < P256_ORDER && s >= 1n && s <= HALF_ORDER
}

/** The signature with s replaced by n − s when s is above n/2; a low-S signature as is. */
export function toLowS(signature: Uint8Array): Uint8Array {
  if (signature.length !== ES256_SIGNATURE_BYTES)
    throw new TypeError('an ES256 signature is 64 bytes')
  const s = toBigInt(signature.subarray(HALF))
  if (s <= HALF_ORDER) return signature
  return Buffer.concat([signature.subarray(0, HALF), toBytes(P256_ORDER - s)])
}

/** The same signature with s replaced by n − s: still valid, and a different token string. */
export function flipS(signature: Uint8Array): Uint8Array {
  if (signature.length !== ES256_SIGNATURE_BYTES)
    throw new TypeError('an ES256 signature is 64 bytes')
  const s = toBigInt(signature.subarray(HALF))
  return Buffer.concat([signature.subarray(0, HALF), toBytes(P256_ORDER - s)])
}

/** s of an ES256 signature, for tests and diagnostics. */
export function signatureS(signature: Uint8Array): bigint {
  return toBigInt(signature.subarray(HALF))
}

/** True when s ≤ n/2. */
export function isLowS(signature: Uint8Array): boolean {
  return signatureS(signature) <= HALF_ORDER
}
