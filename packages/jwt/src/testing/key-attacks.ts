import { createPublicKey } from 'node:crypto'
import { SERVICE_TOKEN_TYPE } from '../token-type.ts'
import {
  BAD_ALGORITHM,
  BAD_SIGNATURE,
  MALFORMED,
  NO_KEY,
  attackerKeyFor,
  claimsFor,
  headerFor,
  refused,
  validToken,
  type Attack,
  type AttackContext,
} from './attack-context.ts'
import { b64url, forgeToken, hs256Token, signForged, splitToken } from '../forge.ts'

/**
 * Algorithm attacks (RFC 8725 §2.1, §3.1): `none`, key confusion (the public key as an HMAC
 * secret), an algorithm the key is not pinned to. A remote key set answers some of them "no key
 * matches" where local keys answer "invalid algorithm": those give no message.
 */
export function algorithmAttacks(ctx: AttackContext): Attack[] {
  const { signature } = splitToken(validToken(ctx))
  const claims = claimsFor(ctx)
  const { publicJwk, publicPem } = ctx.key
  const spkiDer = createPublicKey(publicPem).export({ format: 'der', type: 'spki' })
  const none = (alg: string, sig: Uint8Array | string = '') =>
    forgeToken(headerFor(ctx, { alg }), claims, sig)
  const hs = (secret: string | Uint8Array, kid: string | undefined = ctx.key.kid) =>
    hs256Token(headerFor(ctx, { alg: 'HS256', kid }), claims, secret)
  const other = ctx.key.alg === 'ES256' ? ctx.attacker.rsa : ctx.attacker.ec
  const otherToken = signForged(other, headerFor(ctx, { alg: other.alg }), claims)
  const attacks = [
    refused('alg-none-unsigned', 'alg none without signature', none('none'), BAD_ALGORITHM),
    refused('alg-none-signed', 'alg none with a signature', none('none', signature), BAD_ALGORITHM),
    refused('alg-none-case', 'alg "nOnE"', none('nOnE'), BAD_ALGORITHM),
    refused(
      'hs256-public-pem',
      "HS256 signed with the public key's PEM as the secret",
      hs(publicPem),
    ),
    refused(
      'hs256-public-pem-no-kid',
      "HS256 signed with the public key's PEM, no kid",
      hs(publicPem, undefined),
    ),
    refused(
      'hs256-public-jwk',
      "HS256 signed with the public key's JWK JSON as the secret",
      hs(JSON.stringify(publicJwk)),
    ),
    refused(
      'hs256-public-der',
      "HS256 signed with the public key's DER as the secret",
      hs(spkiDer),
    ),
    refused(
      'alg-not-configured',
      `${other.alg} (not configured) where ${ctx.key.alg} is pinned`,
      otherToken,
    ),
    refused('alg-unknown', 'alg ES512 (not offered at all)', none('ES512', Buffer.alloc(132, 1))),
  ]
  if (ctx.key.alg === 'RS256' || ctx.key.alg === 'PS256') {
    const twin = ctx.key.alg === 'RS256' ? 'PS256' : 'RS256'
    const token = signForged(ctx.key, headerFor(ctx, { alg: twin }), claims)
    attacks.push(
      refused(
        'alg-rsa-twin',
        `${twin} with the trusted RSA key where ${ctx.key.alg} is pinned`,
        token,
      ),
    )
  }
  return attacks
}

const EVIL_JWKS = 'https://attacker.example/.well-known/jwks.json'
const EVIL_CERT = 'https://attacker.example/cert.pem'

/**
 * Header tricks: keys named by URL or embedded (never followed, RFC 8725 §3.10), hostile `kid`s,
 * critical extensions, and duplicate names that JSON.parse would silently resolve.
 */
export function headerAttacks(ctx: AttackContext): Attack[] {
  const evil = attackerKeyFor(ctx)
  const trusted = ctx.key
  const claims = claimsFor(ctx)
  const typ = ctx.typ ?? SERVICE_TOKEN_TYPE
  // The trusted algorithm, so that only the key (or the header trick) is wrong.
  const byEvil = (extra: Record<string, unknown>) =>
    signForged(evil, { alg: trusted.alg, kid: evil.kid, typ, ...extra }, claims)
  const byTrusted = (header: object | string, payload: object | string = claims) =>
    signForged(trusted, header, payload, { alg: trusted.alg })
  const evilSpki = createPublicKey(evil.publicPem)
    .export({ format: 'der', type: 'spki' })
    .toString('base64')
  const json = JSON.stringify
  const claimsJson = json(claims).slice(1, -1)
  const h = headerFor(ctx)
  return [
    refused(
      'jku-elsewhere',
      "jku pointing at the attacker's key set",
      byEvil({ jku: EVIL_JWKS }),
      NO_KEY,
    ),
    refused(
      'x5u-elsewhere',
      "x5u pointing at the attacker's certificate",
      byEvil({ x5u: EVIL_CERT }),
      NO_KEY,
    ),
    refused('x5c-attacker', "x5c carrying the attacker's key", byEvil({ x5c: [evilSpki] }), NO_KEY),
    refused(
      'jwk-embedded',
      "an embedded jwk of the attacker's key",
      byEvil({ jwk: evil.publicJwk }),
      NO_KEY,
    ),
    refused(
      'jwk-embedded-trusted-kid',
      "an embedded attacker jwk with the trusted key's kid",
      byEvil({ kid: trusted.kid, jwk: evil.publicJwk }),
      BAD_SIGNATURE,
    ),
    refused(
      'jwk-invalid-curve',
      'an embedded jwk whose point is not on the curve',
      byEvil({ kid: trusted.kid, jwk: offCurveJwk(ctx) }),
      BAD_SIGNATURE,
    ),
    refused(
      'kid-traversal',
      'kid with path traversal (../../keys/servicea-private.pem)',
      byEvil({ kid: '../../keys/servicea-private.pem' }),
      NO_KEY,
    ),
    refused('kid-sql', "an SQL-ish kid (x' OR '1'='1)", byEvil({ kid: "x' OR '1'='1" }), NO_KEY),
    refused(
      'kid-control',
      'a kid with NUL and newline',
      byEvil({ kid: `${trusted.kid}\u0000\n` }),
      NO_KEY,
    ),
    refused('kid-4kb', 'a 4 KB kid', byEvil({ kid: 'k'.repeat(4096) }), NO_KEY),
    refused('kid-10kb', 'a 10 KB kid', byEvil({ kid: 'k'.repeat(10_240) }), MALFORMED),
    refused(
      'kid-object',
      'a kid that is an object ({"$ne": null})',
      byEvil({ kid: { $ne: null } }),
      MALFORMED,
    ),
    refused(
      'crit-unknown',
      'an unknown crit extension',
      byTrusted({ ...h, crit: ['urn:x'], 'urn:x': 1 }),
      MALFORMED,
    ),
    refused(
      'crit-b64',
      'crit b64 false (unencoded payload)',
      byTrusted({ ...h, crit: ['b64'], b64: false }),
      MALFORMED,
    ),
    refused(
      'duplicate-header-alg',
      'duplicate alg in the header (none, then the real one)',
      byTrusted(
        `{"alg":"none","kid":${json(trusted.kid)},"typ":${json(typ)},"alg":${json(trusted.alg)}}`,
      ),
      MALFORMED,
    ),
    refused(
      'duplicate-header-escaped',
      'duplicate kid in the header, one spelt with \\u escapes',
      byTrusted(
        `{"alg":${json(trusted.alg)},"kid":"evil","typ":${json(typ)},"\\u006bid":${json(trusted.kid)}}`,
      ),
      MALFORMED,
    ),
    refused(
      'duplicate-payload-sub',
      'duplicate sub in the payload (admin, then the real one)',
      byTrusted(h, `{"sub":"admin",${claimsJson}}`),
      MALFORMED,
    ),
    refused(
      'duplicate-payload-nested',
      'a duplicate name inside a nested claim',
      byTrusted(h, `{${claimsJson},"cnf":{"jkt":"a","jkt":"b"}}`),
      MALFORMED,
    ),
  ]
}

/** The attacker's EC public key with the last bit of y flipped: a point not on P-256. */
function offCurveJwk(ctx: AttackContext) {
  const jwk = ctx.attacker.ec.publicJwk
  const y = BigInt(`0x${Buffer.from(String(jwk.y), 'base64url').toString('hex')}`) ^ 1n
  return { ...jwk, kid: undefined, y: b64url(Buffer.from(y.toString(16).padStart(64, '0'), 'hex')) }
}
