import { Secret, TOTP } from 'otpauth'

/**
 * RFC 6238 with the parameters every authenticator app understands: HMAC-SHA-1, 6 digits, 30 s.
 * They are arguments so that the RFC's Appendix B vectors (8 digits) run through this code.
 */
export interface TotpParams {
  algorithm: 'SHA1' | 'SHA256' | 'SHA512'
  digits: number
  period: number
}

export const TOTP_PARAMS: Readonly<TotpParams> = Object.freeze({
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
})
/** One step either side: a clock up to 30 s off, or a code typed as it rolled (RFC 6238 §5.2). */
export const TOTP_WINDOW = 1
/** RFC 4226 §4 asks for at least 128 bits and recommends 160. */
const SECRET_BYTES = 20

export const newTotpSecret = (): string => new Secret({ size: SECRET_BYTES }).base32

/** The code at `timestampMs` (ms since the epoch) of a base32 secret. */
export function totpCode(
  secret: string,
  timestampMs: number,
  params: TotpParams = TOTP_PARAMS,
): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), ...params, timestamp: timestampMs })
}

/**
 * The time step (counter) `code` belongs to, within ±1 step of `timestampMs`, or undefined.
 * otpauth compares in constant time; a code that is not exactly `digits` ASCII digits never
 * reaches it (a multi-byte character would make the byte lengths differ).
 */
export function matchTotpCode(
  secret: string,
  code: string,
  timestampMs: number,
  params: TotpParams = TOTP_PARAMS,
): number | undefined {
  if (code.length !== params.digits || !/^[0-9]+$/.test(code)) return undefined
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret),
    ...params,
    timestamp: timestampMs,
    window: TOTP_WINDOW,
  })
  if (delta === null) return undefined
  return TOTP.counter({ period: params.period, timestamp: timestampMs }) + delta
}

/** The Key URI an authenticator app scans (Google's "Key Uri Format"). */
export function totpUri(secret: string, account: string, issuer: string): string {
  const totp = new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secret),
    ...TOTP_PARAMS,
  })
  return totp.toString()
}
