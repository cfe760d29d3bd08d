import { constants, createHmac, createPrivateKey, sign, type KeyObject } from 'node:crypto'
import { P256_ORDER, toBigInt, toBytes, toLowS } from './ecdsa-signature.ts'
import type { SigningKey } from './signing-key.ts'

/**
 * Token forging (`@jwt-factory/jwt/forge`), for tests and for the console's "break it" lessons:
 * build any compact token by hand and sign it with node:crypto alone, never with the product's
 * signToken or jose, so a test cannot pass because the code under test forged its own input.
 * Nothing that issues or verifies tokens imports it.
 */

/**
 * One part of a token. An object (or array) is JSON-encoded; a string is taken as the exact JSON
 * text (for duplicate names, escapes or text that is not JSON); bytes are used as they are.
 */
export type Segment = object | string | Uint8Array

export const b64url = (bytes: Uint8Array | string): string =>
  Buffer.from(bytes).toString('base64url')

/** The base64url of a segment as described by `Segment`. */
export function encodeSegment(segment: Segment): string {
  if (segment instanceof Uint8Array) return b64url(segment)
  return b64url(typeof segment === 'string' ? segment : JSON.stringify(segment))
}

/**
 * `header.payload.signature` from exactly these parts; nothing is checked or signed. The
 * signature is bytes, or a string used as is (already encoded, or deliberately not base64url).
 */
export function forgeToken(
  header: Segment,
  payload: Segment,
  signature: Uint8Array | string = '',
): string {
  const sig = typeof signature === 'string' ? signature : b64url(signature)
  return `${encodeSegment(header)}.${encodeSegment(payload)}.${sig}`
}

export interface TokenParts {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signature: Buffer
  /** The three segments as they appear in the token. */
  segments: [string, string, string]
  /** `<header>.<payload>`: what the signature covers (RFC 7515 §5.2). */
  signingInput: string
}

/** Splits and decodes a well-formed compact token; throws on anything else (a test helper). */
export function splitToken(token: string): TokenParts {
  const segments = token.split('.')
  if (segments.length !== 3) throw new Error(`not a compact JWS: ${segments.length} segments`)
  const [h, p, s] = segments as [string, string, string]
  const decode = (segment: string) =>
    JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
  return {
    header: decode(h),
    payload: decode(p),
    signature: Buffer.from(s, 'base64url'),
    segments: [h, p, s],
    signingInput: `${h}.${p}`,
  }
}

/** A private key for node:crypto: a product SigningKey, a KeyObject or a PEM. */
export type ForgingKey = Pick<SigningKey, 'privatePem'> | KeyObject | string

const keyObjects = new WeakMap<object, KeyObject>()

function privateKeyObject(key: ForgingKey): KeyObject {
  if (typeof key === 'string') return createPrivateKey(key)
  if ('privatePem' in key) {
    let cached = keyObjects.get(key)
    if (!cached) keyObjects.set(key, (cached = createPrivateKey(key.privatePem)))
    return cached
  }
  return key
}

export interface SignForgedOptions {
  /** Keep a high-S ECDSA signature as node:crypto made it (default: low-S, as signToken). */
  keepHighS?: boolean
}

/**
 * Signs `signingInput` (`<header>.<payload>` text, canonical or not) with node:crypto for the
 * algorithm `alg` names: ES256 (R‖S, RFC 7518 §3.4), RS256, PS256 or EdDSA.
 */
export function signInput(
  key: ForgingKey,
  alg: string,
  signingInput: string,
  options: SignForgedOptions = {},
): Buffer {
  const keyObject = privateKeyObject(key)
  const data = Buffer.from(signingInput, 'ascii')
  switch (alg) {
    case 'ES256': {
      const signature = sign('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' })
      return options.keepHighS ? signature : Buffer.from(toLowS(signature))
    }
    case 'RS256':
      return sign('sha256', data, keyObject)
    case 'PS256':
      return sign('sha256', data, {
        key: keyObject,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
    case 'EdDSA':
      return sign(null, data, keyObject)
    default:
      throw new TypeError(`signInput: cannot sign ${alg}`)
  }
}

/**
 * A token with exactly this header and payload (objects, or raw JSON text), signed with `key`
 * for the header's `alg` (or `alg` given apart, to sign for one algorithm and claim another).
 */
export function signForged(
  key: ForgingKey,
  header: Segment,
  payload: Segment,
  options: SignForgedOptions & { alg?: string } = {},
): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`
  const isObject = typeof header === 'object' && !(header instanceof Uint8Array)
  const alg = options.alg ?? (isObject ? String((header as { alg?: unknown }).alg) : '')
  return `${input}.${b64url(signInput(key, alg, input, options))}`
}

/** A token signed with HMAC-SHA-256 and `secret`: the key-confusion attack's tool. */
export function hs256Token(header: Segment, payload: Segment, secret: string | Uint8Array): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** The same header (with `alg: HS256`) and payload, re-signed with HMAC and `secret`. */
export function resignHs256(token: string, secret: string | Uint8Array): string {
  const { header, payload } = splitToken(token)
  return hs256Token({ ...header, alg: 'HS256' }, payload, secret)
}

/** The token with another signature, bytes or a raw string. */
export function withSignature(token: string, signature: Uint8Array | string): string {
  const dot = token.lastIndexOf('.')
  return `${token.slice(0, dot + 1)}${typeof signature === 'string' ? signature : b64url(signature)}`
}

/** The token with its payload replaced and the original signature kept (a tampered token). */
export function withPayload(token: string, payload: Segment): string {
  const { segments } = splitToken(token)
  return `${segments[0]}.${encodeSegment(payload)}.${segments[2]}`
}

/** The ES256 token re-signed as (r, n − s): a valid signature, and another token string. */
export function flipS(token: string): string {
  const { signature } = splitToken(token)
  const s = toBigInt(signature.subarray(32))
  return withSignature(token, Buffer.concat([signature.subarray(0, 32), toBytes(P256_ORDER - s)]))
}

/** True when an ES256 token's signature has s ≤ n/2. */
export function hasLowS(token: string): boolean {
  return toBigInt(splitToken(token).signature.subarray(32)) <= P256_ORDER >> 1n
}
