import { createPublicKey } from 'node:crypto'
import {
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWSHeaderParameters,
} from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { SigningAlgorithm } from './algorithms.ts'
import { flipS, signForged, splitToken, withSignature } from './forge.ts'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { attackCatalogue, generateAttackerKeys, type AttackerKeys } from './testing/index.ts'
import type { KeySource } from './key-source.ts'
import { verifyCompactJwt } from './verify-compact.ts'
import { verifyToken } from './verify.ts'

const claims = { iss: 'https://issuer', sub: 'servicea', aud: 'serviceb' }
const checks = {
  issuer: claims.iss,
  audience: claims.aud,
  subject: claims.sub,
  typ: 'JWT',
  requiredClaims: ['iat', 'exp', 'jti'],
  clockTolerance: 30,
}
const ALGORITHMS: SigningAlgorithm[] = ['ES256', 'RS256', 'PS256', 'EdDSA']

let keys: Record<SigningAlgorithm, SigningKey>
let attacker: AttackerKeys
beforeAll(async () => {
  const made = await Promise.all(ALGORITHMS.map((alg) => generateSigningKey(alg)))
  keys = Object.fromEntries(ALGORITHMS.map((alg, i) => [alg, made[i]!])) as typeof keys
  attacker = await generateAttackerKeys()
})

/** What a verification came to: the payload, or the error jose would name, code and message. */
async function outcome(run: () => Promise<{ payload: unknown }>) {
  try {
    return { payload: (await run()).payload }
  } catch (err) {
    const { name, code, message, claim } = err as Error & { code?: string; claim?: string }
    return { name, code, message, claim }
  }
}

/** Both verifications of one token with one key: node:crypto's fast path and jose's jwtVerify. */
async function bothWays(
  token: string,
  key: SigningKey,
  algorithms: SigningAlgorithm[],
  expected: Partial<typeof checks> & { typ?: string | undefined } = {},
) {
  let header: JWSHeaderParameters
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return undefined // verifyToken refuses it before any key is looked up
  }
  const options = { ...checks, ...expected, algorithms }
  return {
    fast: await outcome(() => verifyCompactJwt(token, header, key.publicKey, options)),
    jose: await outcome(() => jwtVerify(token, key.publicKey, options)),
  }
}

/** Tokens of every kind the fast path must answer as jose does, for a verifier trusting `key`. */
async function corpus(key: SigningKey): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000)
  const header = { alg: key.alg, kid: key.kid, typ: 'JWT' }
  const payload = { ...claims, iat: now, exp: now + 300, jti: 'j' }
  const { token } = await signToken(key, claims, { ttlSeconds: 300 })
  const { signature } = splitToken(token)
  const tampered = Buffer.from(signature)
  tampered[0]! ^= 1
  const ctx = { key, claims, attacker, otherServiceKey: keys.ES256 }
  const catalogue = Object.fromEntries(attackCatalogue(ctx).map((a) => [a.id, a.token]))
  return {
    ...catalogue,
    valid: token,
    'valid, forged by node:crypto': signForged(key, header, payload),
    'signature tampered': withSignature(token, tampered),
    'signature cut short': withSignature(token, signature.subarray(1)),
    'signature empty': withSignature(token, new Uint8Array()),
    'signature with a space': token.replace(/.$/, ' $&'),
    'signature padded': `${token}==`,
    'signature of length 4k+1': `${token}A`,
    expired: signForged(key, header, { ...payload, iat: now - 900, exp: now - 600 }),
    'not yet valid': signForged(key, header, { ...payload, nbf: now + 600 }),
    'other audience': signForged(key, header, { ...payload, aud: 'servicec' }),
    'other issuer': signForged(key, header, { ...payload, iss: 'https://other' }),
    'no jti': signForged(key, header, { ...claims, iat: now, exp: now + 300 }),
    'typ at+jwt': signForged(key, { ...header, typ: 'at+jwt' }, payload),
    'typ application/JWT': signForged(key, { ...header, typ: 'application/JWT' }, payload),
    'typ a number': signForged(key, { ...header, typ: 7 }, payload),
    'no typ': signForged(key, { alg: key.alg, kid: key.kid }, payload),
    'crit b64': signForged(key, { ...header, crit: ['b64'], b64: true }, payload),
    'crit unknown': signForged(key, { ...header, crit: ['exp'], exp: 1 }, payload),
    'b64 false, no crit': signForged(key, { ...header, b64: false }, payload),
    'payload an array': signForged(key, header, '[1,2]'),
    'payload not JSON': signForged(key, header, 'not json'),
    'payload JSON null': signForged(key, header, 'null'),
    'four segments': `${token}.x`,
    'header with a space': ` ${token}`,
    'header of length 4k+1': `A${token}`,
    'payload padded': token.replace(/^([^.]+\.[^.]+)/, '$1=='),
    'payload with + and /': token.replace(/^([^.]+\.)([^.]{4})/, '$1+/+/'),
    'crit empty': signForged(key, { ...header, crit: [] }, payload),
    'alg a number': signForged(key, { ...header, alg: 7 }, payload, { alg: key.alg }),
    'typ empty': signForged(key, { ...header, typ: '' }, payload),
    'typ application/at+jwt': signForged(key, { ...header, typ: 'application/at+jwt' }, payload),
    'exp at the tolerance': signForged(key, header, { ...payload, iat: now - 900, exp: now - 30 }),
    'exp past the tolerance': signForged(key, header, {
      ...payload,
      iat: now - 900,
      exp: now - 31,
    }),
    ...(key.alg === 'ES256' ? { 'high-S twin': flipS(token) } : {}),
  }
}

describe('verifyCompactJwt answers every token as jose jwtVerify does', () => {
  for (const alg of ALGORITHMS) {
    it(`${alg}: the same payload, or the same error (name, code, message, claim), for ${alg} tokens of every kind`, async () => {
      const key = keys[alg]
      const tokens = await corpus(key)
      let compared = 0
      // What a service token's verifier, a user token's (RFC 9068) and a client assertion's
      // (RFC 7523: no typ, no iat) ask for.
      const verifiers = [
        {},
        { typ: 'at+jwt' },
        { typ: undefined, requiredClaims: ['exp'] },
        { currentDate: new Date(Date.now() + 270_000) },
      ]
      for (const expected of verifiers) {
        for (const [name, token] of Object.entries(tokens)) {
          const both = await bothWays(token, key, [alg], expected)
          if (!both) continue
          compared++
          expect(both.fast, `${name} ${JSON.stringify(expected)}`).toEqual(both.jose)
        }
      }
      const valid = await bothWays(tokens.valid!, key, [alg])
      expect(valid?.fast).toMatchObject({ payload: { sub: 'servicea' } })
      expect(compared).toBeGreaterThan(150)
    })
  }

  it('a key made for another algorithm, or an algorithm not allowed, is refused as jose refuses it', async () => {
    const rsa = keys.RS256
    const { token } = await signToken(rsa, claims, { ttlSeconds: 300 })
    const header = { alg: 'PS256', kid: rsa.kid, typ: 'JWT' }
    const now = Math.floor(Date.now() / 1000)
    const ps256 = signForged(rsa, header, { ...claims, iat: now, exp: now + 300, jti: 'j' })
    for (const [candidate, algorithms] of [
      [ps256, ['PS256']], // an RS256 key, asked to check a PS256 signature it never made
      [ps256, ['RS256']],
      [token, ['PS256']],
      [token, ['ES256']],
    ] as const) {
      const both = await bothWays(candidate, rsa, [...algorithms])
      expect(both?.fast).toEqual(both?.jose)
      expect(both?.fast).toHaveProperty('code')
    }
  })

  it("a key source handing over a KeyObject, or a key of an algorithm beyond the four, is jose's to verify", async () => {
    const key = keys.ES256
    const { token } = await signToken(key, claims, { ttlSeconds: 300 })
    const options = { issuer: claims.iss, audience: claims.aud, subject: claims.sub }
    const keyObject: KeySource = {
      name: 'a KeyObject',
      resolve: () => ({ key: createPublicKey(key.publicPem) as never, algorithms: ['ES256'] }),
    }
    expect(await verifyToken(token, keyObject, options)).toMatchObject({ valid: true })
    const { publicKey, privateKey } = await generateKeyPair('ES384')
    const now = Math.floor(Date.now() / 1000)
    const es384 = await new SignJWT({ ...claims, iat: now, exp: now + 300, jti: 'j' })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT' })
      .sign(privateKey)
    const beyond: KeySource = {
      name: 'an ES384 key',
      resolve: () => ({ key: publicKey, algorithms: ['ES384' as SigningAlgorithm] }),
    }
    expect(await verifyToken(es384, beyond, options)).toMatchObject({ valid: true })
  })

  it('a key source that changes the header it is handed changes nothing about the verification', async () => {
    const key = keys.ES256
    const now = Math.floor(Date.now() / 1000)
    const payload = { ...claims, iat: now, exp: now + 300, jti: 'j' }
    const critical = signForged(
      key,
      { alg: 'ES256', kid: key.kid, typ: 'JWT', crit: ['x'], x: 1 },
      payload,
    )
    const meddling: KeySource = {
      name: 'a meddling source',
      resolve(header) {
        delete header.crit
        return { key: key.publicKey, algorithms: ['ES256'] }
      },
    }
    const result = await verifyToken(critical, meddling, {
      issuer: claims.iss,
      audience: claims.aud,
    })
    expect(result.valid).toBe(false)
  })
})
