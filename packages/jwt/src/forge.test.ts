import { createHmac, createPublicKey, verify } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { keyList } from './key-source.ts'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { verifyToken } from './verify.ts'
import {
  encodeSegment,
  flipS,
  forgeToken,
  hasLowS,
  resignHs256,
  signForged,
  splitToken,
  withPayload,
  withSignature,
} from './forge.ts'

let es: SigningKey
let ed: SigningKey
let rs: SigningKey
beforeAll(async () => {
  ;[es, ed, rs] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('EdDSA'),
    generateSigningKey('RS256'),
  ])
})

const now = () => Math.floor(Date.now() / 1000)
const claims = () => ({ iss: 'i', sub: 's', aud: 'a', iat: now(), exp: now() + 60 })

describe('forge', () => {
  it('encodes objects as JSON, strings as raw text, bytes as they are', () => {
    expect(encodeSegment({ a: 1 })).toBe(Buffer.from('{"a":1}').toString('base64url'))
    expect(encodeSegment('{"a":1,"a":2}')).toBe(Buffer.from('{"a":1,"a":2}').toString('base64url'))
    expect(encodeSegment(new Uint8Array([0xff]))).toBe('_w')
    expect(forgeToken({ alg: 'none' }, {}, '')).toBe(
      `${encodeSegment({ alg: 'none' })}.${encodeSegment({})}.`,
    )
  })

  it.each(['ES256', 'EdDSA', 'RS256', 'PS256'] as const)(
    'signForged makes %s tokens that verifyToken accepts',
    async (alg) => {
      const key =
        alg === 'ES256'
          ? es
          : alg === 'EdDSA'
            ? ed
            : alg === 'RS256'
              ? rs
              : await generateSigningKey('PS256')
      const token = signForged(key, { alg, kid: key.kid, typ: 'JWT' }, claims())
      expect((await verifyToken(token, keyList([key]))).valid).toBe(true)
    },
  )

  it('signForged signs raw JSON text exactly as given', () => {
    const token = signForged(es, '{"alg":"ES256", "alg":"ES256"}', '{"sub":"x"}', { alg: 'ES256' })
    const [h, p, s] = token.split('.') as [string, string, string]
    expect(Buffer.from(h, 'base64url').toString()).toBe('{"alg":"ES256", "alg":"ES256"}')
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: createPublicKey(es.publicPem), dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    )
    expect(ok).toBe(true)
  })

  it('resignHs256 keeps header and payload, sets alg HS256 and signs with the secret', async () => {
    const { token } = await signToken(es, { sub: 's' }, { ttlSeconds: 60 })
    const forged = resignHs256(token, es.publicPem)
    const parts = splitToken(forged)
    expect(parts.header).toEqual({ ...splitToken(token).header, alg: 'HS256' })
    expect(parts.payload).toEqual(splitToken(token).payload)
    expect(parts.signature).toEqual(
      createHmac('sha256', es.publicPem).update(parts.signingInput).digest(),
    )
  })

  it('flipS, withSignature and withPayload change only what they say', async () => {
    const { token } = await signToken(es, { sub: 's' }, { ttlSeconds: 60 })
    expect(hasLowS(token)).toBe(true)
    expect(hasLowS(flipS(token))).toBe(false)
    expect(flipS(flipS(token))).toBe(token)
    expect(withSignature(token, '')).toBe(token.slice(0, token.lastIndexOf('.') + 1))
    const tampered = withPayload(token, { sub: 'admin' })
    expect(splitToken(tampered).payload).toEqual({ sub: 'admin' })
    expect(splitToken(tampered).signature).toEqual(splitToken(token).signature)
  })

  it('splitToken throws on anything but three segments', () => {
    expect(() => splitToken('a.b')).toThrow(/2 segments/)
  })
})
