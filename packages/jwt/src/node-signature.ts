import {
  constants,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
  type webcrypto,
} from 'node:crypto'
import { types } from 'node:util'
import { MIN_RSA_BITS, type SigningAlgorithm } from './algorithms.ts'
import { toLowS } from './ecdsa-signature.ts'

/**
 * The JWS algorithms (RFC 7518 §3.3-3.5, RFC 8037 §3.1) on node:crypto's one-shot sign and
 * verify, which take a KeyObject or a WebCrypto CryptoKey alike. WebCrypto's own calls cost more
 * in argument checks and promise hops than an ES256 signature itself; RSA and verification still
 * run on libuv's threads here (the callback forms), so the event loop stays free meanwhile.
 */
type NodeKey = KeyObject | webcrypto.CryptoKey

interface Scheme {
  digest: string | null
  options: { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number }
  /** What WebCrypto calls a key of this algorithm: a CryptoKey must be one to be used here. */
  webCrypto: { name: string; hash?: string; namedCurve?: string }
}

const SCHEMES: Readonly<Record<SigningAlgorithm, Scheme>> = {
  ES256: {
    digest: 'sha256',
    options: { dsaEncoding: 'ieee-p1363' }, // R‖S, as JWS writes it (RFC 7518 §3.4)
    webCrypto: { name: 'ECDSA', namedCurve: 'P-256' },
  },
  RS256: {
    digest: 'sha256',
    options: {},
    webCrypto: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  },
  PS256: {
    digest: 'sha256',
    // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
    options: {
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    },
    webCrypto: { name: 'RSA-PSS', hash: 'SHA-256' },
  },
  EdDSA: { digest: null, options: {}, webCrypto: { name: 'Ed25519' } },
}

/** ES256 and EdDSA, which sign in tens of microseconds: in place. ES256 comes out low-S. */
export function signInPlace(alg: 'ES256' | 'EdDSA', key: NodeKey, data: Buffer): Uint8Array {
  const { digest, options } = SCHEMES[alg]
  const signature = nodeSign(digest, data, { key, ...options } as never)
  return alg === 'ES256' ? toLowS(signature) : signature
}

/** Any of the algorithms, on libuv's threads (RSA takes about a millisecond). */
export function signOffLoop(
  alg: SigningAlgorithm,
  key: NodeKey,
  data: Buffer,
): Promise<Uint8Array> {
  const { digest, options } = SCHEMES[alg]
  return new Promise((resolve, reject) => {
    nodeSign(digest, data, { key, ...options } as never, (err, signature) =>
      err ? reject(err) : resolve(alg === 'ES256' ? toLowS(signature) : signature),
    )
  })
}

/**
 * Whether `signature` is `alg`'s over `data` with `key`, on libuv's threads. Rejects (never
 * answers false) when node cannot run the check at all: the caller then asks jose, which says why.
 */
export function verifyOffLoop(
  alg: SigningAlgorithm,
  key: NodeKey,
  data: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const { digest, options } = SCHEMES[alg]
  return new Promise((resolve, reject) => {
    nodeVerify(digest, data, { key, ...options } as never, signature, (err, valid) =>
      err ? reject(err) : resolve(valid),
    )
  })
}

/**
 * A CryptoKey made for exactly `alg`, for verifying, of a size jose accepts: an RSA key imported
 * for PS256 never checks an RS256 signature, or the other way round (node:crypto would take the
 * padding from the options, whatever the key was made for).
 */
export function isVerifyKeyFor(key: unknown, alg: string): key is webcrypto.CryptoKey {
  // A KeySource written in JavaScript may hand over a KeyObject, a JWK or bytes: jose's to read.
  if (!types.isCryptoKey(key) || !Object.hasOwn(SCHEMES, alg)) return false
  const expected = SCHEMES[alg as SigningAlgorithm].webCrypto
  const actual = key.algorithm as {
    name: string
    hash?: { name: string }
    namedCurve?: string
    modulusLength?: number
  }
  if (key.type !== 'public' || !key.usages.includes('verify') || actual.name !== expected.name)
    return false
  if (expected.hash !== undefined && actual.hash?.name !== expected.hash) return false
  if (expected.namedCurve !== undefined && actual.namedCurve !== expected.namedCurve) return false
  return actual.modulusLength === undefined || actual.modulusLength >= MIN_RSA_BITS
}
