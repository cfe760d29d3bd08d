import type { JWSHeaderParameters, JWTPayload } from 'jose'
import { parseStrictJson } from './strict-json.ts'

/** A compact JWS whose structure passed every check; nothing about its signature or claims. */
export interface CompactToken {
  header: JWSHeaderParameters
  payload: JWTPayload
  signature: Uint8Array
}

export type CompactTokenResult = { ok: true; token: CompactToken } | { ok: false; reason: string }

const BASE64URL = /^[A-Za-z0-9_-]*$/
// ignoreBOM keeps a byte order mark in the text, where the strict JSON reader refuses it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Reads a compact JWS (RFC 7515 §7.1) strictly, before jose or any key lookup sees it:
 * - exactly three segments (a JWE's five, or two, are refused);
 * - each segment canonical base64url without padding (RFC 7515 §2): one encoding per byte
 *   string, so a token cannot be rewritten into another string that still verifies;
 * - header and payload well-formed UTF-8 (RFC 8259 §8.1), each a JSON object in strict JSON,
 *   with no member name twice at any depth (RFC 7515 §5.2 step 4, RFC 7519 §4, RFC 8725 §3.10);
 * - no `crit` header: this verifier understands no extension, so it must refuse any token that
 *   declares one critical (RFC 7515 §4.1.11);
 * - `kid`, when present, a string (RFC 7515 §4.1.4).
 * `reason` is for tests and logs; callers answer every refusal as "jwt malformed".
 */
export function readCompactToken(token: string): CompactTokenResult {
  const segments = token.split('.')
  if (segments.length !== 3) return refuse(`${segments.length} segments, a JWS has 3`)
  const [h, p, s] = segments as [string, string, string]
  const bytes: Buffer[] = []
  for (const [name, segment] of [
    ['header', h],
    ['payload', p],
    ['signature', s],
  ] as const) {
    const decoded = decodeBase64url(segment)
    if (!decoded) return refuse(`${name} is not canonical base64url`)
    bytes.push(decoded)
  }
  const header = parseObject(bytes[0]!)
  if (typeof header === 'string') return refuse(`header ${header}`)
  const payload = parseObject(bytes[1]!)
  if (typeof payload === 'string') return refuse(`payload ${payload}`)
  if ('crit' in header) return refuse('header declares crit extensions, none is understood')
  if ('kid' in header && typeof header.kid !== 'string') return refuse('kid is not a string')
  return { ok: true, token: { header, payload, signature: bytes[2]! } }
}

const refuse = (reason: string): CompactTokenResult => ({ ok: false, reason })

/** The bytes of a canonical base64url segment; undefined for any other spelling. */
function decodeBase64url(segment: string): Buffer | undefined {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return undefined
  const decoded = Buffer.from(segment, 'base64url')
  // Unused low bits of the last character must be zero: "AB" and "AC" would be the same byte.
  return decoded.toString('base64url') === segment ? decoded : undefined
}

function parseObject(bytes: Buffer): Record<string, unknown> | string {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return 'is not UTF-8'
  }
  const parsed = parseStrictJson(text)
  if (!parsed.ok) {
    return parsed.reason === 'duplicate'
      ? `has a ${parsed.detail}`
      : `is not strict JSON (${parsed.detail})`
  }
  const { value } = parsed
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
  return isObject ? (value as Record<string, unknown>) : 'is not a JSON object'
}
