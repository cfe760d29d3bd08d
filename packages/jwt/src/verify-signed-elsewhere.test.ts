import { beforeAll, describe, expect, it } from 'vitest'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { USER_TOKEN_TYPE } from './token-type.ts'
import { verifySignedElsewhere, type SignatureCheckedBy } from './verify-signed-elsewhere.ts'
import { verifyToken } from './verify.ts'
import { keyList } from './key-source.ts'

const T = new Date('2030-01-02T03:04:05.000Z')
const expected = {
  issuer: 'jwt-factory',
  audience: 'serviceb',
  subject: 'servicea',
  currentDate: T,
}
const mesh: SignatureCheckedBy = {
  by: 'mesh',
  self: 'serviceb',
  keys: "the sidecar's copy of the factory's keys",
  alsoChecked: ['iss', 'aud', 'nbf', 'exp'],
}
const claims = { iss: 'jwt-factory', aud: 'serviceb', sub: 'servicea' }

let key: SigningKey
const sign = (over: object = {}, typ?: string, now = T) =>
  signToken(key, { ...claims, ...over }, { ttlSeconds: 60, now, ...(typ ? { typ } : {}) })

beforeAll(async () => {
  key = await generateSigningKey('ES256')
})

describe('verifySignedElsewhere: the claim checks after a signature the mesh verified', () => {
  it('accepts what verifyToken accepts, and names who ran each check', async () => {
    const { token } = await sign()
    const { result, report } = verifySignedElsewhere(token, mesh, expected)
    expect(result).toEqual(await verifyToken(token, keyList([key]), expected))
    const by = Object.fromEntries(report.checks.map((c) => [c.name, c.by ?? 'serviceb']))
    expect(by).toEqual({
      format: 'serviceb',
      key: ['mesh'],
      alg: ['mesh'],
      signature: ['mesh'],
      typ: 'serviceb',
      required: 'serviceb',
      iss: ['mesh', 'serviceb'],
      sub: 'serviceb',
      aud: ['mesh', 'serviceb'],
      nbf: ['mesh', 'serviceb'],
      exp: ['mesh', 'serviceb'],
      iat: 'serviceb',
    })
    expect(report.checks.every((c) => c.status === 'passed')).toBe(true)
    expect(report.keys).toBe(mesh.keys)
  })

  it('checks no signature: that is the caller’s to know (a forged signature passes here)', async () => {
    const { token } = await sign()
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`
    expect(verifySignedElsewhere(forged, mesh, expected).result.valid).toBe(true)
    expect((await verifyToken(forged, keyList([key]), expected)).valid).toBe(false)
  })

  it('refuses an expired token as verifyToken does, the checks before exp passed', async () => {
    const { token } = await sign({}, undefined, new Date(T.getTime() - 3_600_000))
    const { result, report } = verifySignedElsewhere(token, mesh, expected)
    expect(result).toMatchObject({
      valid: false,
      error: { name: 'TokenExpiredError', code: 'ERR_JWT_EXPIRED', message: 'jwt expired' },
    })
    expect(report.failed).toBe('exp')
    expect(report.checks.find((c) => c.name === 'signature')).toMatchObject({ by: ['mesh'] })
    expect(report.checks.find((c) => c.name === 'iat')?.status).toBe('not run')
  })

  it('refuses another subject, a user token in a service token’s place, and unreadable input', async () => {
    const other = verifySignedElsewhere((await sign({ sub: 'servicec' })).token, mesh, expected)
    expect(other.result).toMatchObject({
      valid: false,
      error: { message: 'jwt subject invalid. expected: servicea' },
    })
    expect(other.report.failed).toBe('sub')
    const user = verifySignedElsewhere((await sign({}, USER_TOKEN_TYPE)).token, mesh, expected)
    expect(user.report.failed).toBe('typ')
    for (const token of ['', 'a.b.c', 'x'.repeat(9000)]) {
      const { result, report } = verifySignedElsewhere(token, mesh, expected)
      expect(result.valid).toBe(false)
      expect(report.failed).toBe('format')
      expect(report.checks.filter((c) => c.by)).toEqual([])
    }
  })

  it('refuses a header with crit as verifyToken does: jwt malformed, whatever the mesh verified', async () => {
    const { token } = await sign()
    const [, payload, signature] = token.split('.')
    const header = { alg: 'ES256', kid: key.kid, typ: 'JWT', crit: ['urn:x'], 'urn:x': 1 }
    const crit = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`
    const { result, report } = verifySignedElsewhere(crit, mesh, expected)
    expect(result).toEqual(await verifyToken(crit, keyList([key]), expected))
    expect(result).toMatchObject({
      valid: false,
      error: { message: 'jwt malformed', code: 'ERR_JWT_INVALID' },
    })
    expect(report.failed).toBe('format')
  })
})
