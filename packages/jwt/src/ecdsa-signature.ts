/**
 * ES256 signatures as this product writes them. An ECDSA signature (r, s) has a twin (r, n − s)
 * that verifies just as well; RFC 7518 §3.4 makes neither the only form, and outside signers
 * (OpenSSL, Python's cryptography, Go, cloud KMS) write either, so verifyToken accepts both. The
 * product's own signers write the low-S form only, so its tokens read the same to verifiers that
 * insist on it (libsecp256k1, Bitcoin's BIP 62/146).
 */

/** Order n of the P-256 group (FIPS 186-4 §D.1.2.3, SEC 2 §2.4.2). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const HALF_ORDER = P256_ORDER >> 1n

/** JWS ES256 signatures are R‖S, 32 bytes each, big-endian (RFC 7518 §3.4). */
export const ES256_SIGNATURE_BYTES = 64
const HALF = ES256_SIGNATURE_BYTES / 2

export const toBigInt = (bytes: Uint8Array) =>
  BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`)
export const toBytes = (value: bigint) =>
  Buffer.from(value.toString(16).padStart(HALF * 2, '0'), 'hex')

const ORDER_BYTES = toBytes(P256_ORDER)
const HALF_ORDER_BYTES = toBytes(HALF_ORDER)

/**
 * The signature with s replaced by n − s when s is above n/2; a low-S signature as is. On bytes,
 * not BigInt: every token the factory signs passes here, and BigInt's hex round trips cost more
 * than the comparison and the subtraction themselves.
 */
export function toLowS(signature: Uint8Array): Uint8Array {
  if (signature.length !== ES256_SIGNATURE_BYTES) {
    throw new TypeError('an ES256 signature is 64 bytes')
  }
  // Big-endian numbers of one width compare as their bytes do.
  if (Buffer.compare(signature.subarray(HALF), HALF_ORDER_BYTES) <= 0) return signature
  const low = Buffer.from(signature)
  let borrow = 0
  for (let i = ES256_SIGNATURE_BYTES - 1; i >= HALF; i--) {
    const digit = ORDER_BYTES[i - HALF]! - signature[i]! - borrow
    borrow = digit < 0 ? 1 : 0
    low[i] = digit + (borrow << 8)
  }
  return low
}
