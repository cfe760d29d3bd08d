import { MAX_TOKEN_LENGTH } from '../verify.ts'
import {
  BAD_SIGNATURE,
  MALFORMED,
  attackerKeyFor,
  claimsFor,
  headerFor,
  refused,
  validToken,
  type Attack,
  type AttackContext,
} from './attack-context.ts'
import {
  b64url,
  flipS,
  signForged,
  signInput,
  splitToken,
  withPayload,
  withSignature,
} from '../forge.ts'

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Tokens that are not a compact JWS, or one spelt in a second way (RFC 7515 §2, §7.1). */
export function malformedAttacks(ctx: AttackContext): Attack[] {
  const valid = validToken(ctx)
  const [h, p, s] = splitToken(valid).segments
  const malformed = (id: string, title: string, token: string) =>
    refused(id, title, token, MALFORMED)
  const long = signForged(
    ctx.key,
    headerFor(ctx),
    claimsFor(ctx, { pad: 'x'.repeat(MAX_TOKEN_LENGTH) }),
  )
  const huge = signForged(ctx.key, headerFor(ctx), claimsFor(ctx, { pad: 'x'.repeat(786_432) }))
  return [
    malformed('segments-two', 'two segments (no signature part)', `${h}.${p}`),
    malformed('segments-four', 'four segments', `${valid}.${s}`),
    malformed('segments-five', 'five segments (a JWE)', `${h}.${p}.${s}.${s}.${s}`),
    malformed('header-not-json', 'a header that is not JSON', `${b64url('not json')}.${p}.${s}`),
    malformed(
      'payload-not-json',
      'a payload that is not JSON, validly signed',
      signForged(ctx.key, headerFor(ctx), '{"sub":'),
    ),
    malformed('header-array', 'a header that is a JSON array', `${b64url('["ES256"]')}.${p}.${s}`),
    malformed(
      'payload-string',
      'a payload that is a JSON string, validly signed',
      signForged(ctx.key, headerFor(ctx), '"servicea"'),
    ),
    malformed(
      'header-not-utf8',
      'a header that is not UTF-8',
      `${b64url(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))}.${p}.${s}`,
    ),
    malformed('empty-segments', 'three empty segments', '..'),
    malformed(
      'base64-standard',
      'standard base64 (+ and /) instead of base64url, validly signed',
      standardBase64Token(ctx),
    ),
    malformed(
      'over-max-length',
      `a validly signed token over ${MAX_TOKEN_LENGTH} characters`,
      long,
    ),
    { ...malformed('one-megabyte', 'a 1 MB token', huge), oversized: true },
  ]
}

/** A validly signed token whose payload is standard base64: a lenient decoder accepts it. */
function standardBase64Token(ctx: AttackContext): string {
  // "???" encodes to "Pz8/" when aligned: some padding puts a "/" (or "+") in the payload.
  for (let pad = 3; pad < 12; pad++) {
    const json = JSON.stringify(claimsFor(ctx, { pad: '?'.repeat(pad) }))
    const payload = Buffer.from(json).toString('base64')
    if (!/[+/]/.test(payload)) continue
    const input = `${b64url(JSON.stringify(headerFor(ctx)))}.${payload.replace(/=+$/, '')}`
    return `${input}.${b64url(signInput(ctx.key, ctx.key.alg, input))}`
  }
  throw new Error('unreachable: some alignment of "???" encodes a "/"')
}

/** Signatures that are missing, of the wrong length, tampered, foreign or malleated. */
export function signatureAttacks(ctx: AttackContext): Attack[] {
  const valid = validToken(ctx)
  const { signature } = splitToken(valid)
  const bad = (id: string, title: string, token: string) => refused(id, title, token, BAD_SIGNATURE)
  const attacks = [
    bad('signature-empty', 'an empty signature', withSignature(valid, '')),
    bad(
      'signature-short',
      `a signature one byte short (${signature.length - 1} bytes)`,
      withSignature(valid, signature.subarray(0, -1)),
    ),
    bad(
      'signature-long',
      `a signature one byte long (${signature.length + 1} bytes)`,
      withSignature(valid, Buffer.concat([signature, Buffer.of(0)])),
    ),
    bad(
      'signature-zero',
      'a signature of zero bytes only',
      withSignature(valid, Buffer.alloc(signature.length)),
    ),
    bad(
      'payload-tampered',
      'a payload changed after signing (sub admin)',
      withPayload(valid, claimsFor(ctx, { sub: 'admin' })),
    ),
    bad(
      'attacker-key-trusted-kid',
      "the attacker's key with the trusted key's kid",
      signForged(attackerKeyFor(ctx), headerFor(ctx), claimsFor(ctx)),
    ),
  ]
  return attacks
}

/** A valid token spelt another way: what every place must accept, with the same claims. */
export interface AcceptedTwin {
  id: string
  title: string
  token: string
}

/**
 * Anyone holding a token can write it another way that verifies just as well: the other form of
 * an ECDSA signature (r, n − s), which outside signers write about half the time and RFC 7518
 * §3.4 allows, and other base64url spellings of the same signature bytes. Refusing them would
 * refuse valid tokens from other signers and protect nothing: a token is told apart by its
 * `jti`, never by its text. Every place runs these as it runs its control token.
 */
export function acceptedTwins(ctx: AttackContext): AcceptedTwin[] {
  const valid = validToken(ctx)
  const s = splitToken(valid).segments[2]
  // 64 or 256 signature bytes leave unused low bits in the last character: flip the lowest.
  const respelt = BASE64URL_ALPHABET[BASE64URL_ALPHABET.indexOf(s.at(-1)!) ^ 1]!
  const padding = '='.repeat((4 - (s.length % 4)) % 4)
  const twins = [
    ...(padding
      ? [
          {
            id: 'signature-padded',
            title: "the signature with '=' padding",
            token: valid + padding,
          },
        ]
      : []),
    {
      id: 'signature-unused-bits',
      title: 'the signature spelt another way (unused low bits set)',
      token: withSignature(valid, `${s.slice(0, -1)}${respelt}`),
    },
  ]
  if (ctx.key.alg === 'ES256') {
    twins.unshift({
      id: 'signature-high-s',
      title: 'the high-S twin of a valid ECDSA signature (r, n − s)',
      token: flipS(valid),
    })
  }
  return twins
}
