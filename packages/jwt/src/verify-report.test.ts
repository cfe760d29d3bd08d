import type { JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyList, remoteKeys, type KeySource } from './key-source.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { forgeToken, signForged, splitToken } from './forge.ts'
import { CHECK_ORDER, type CheckName } from './verification-report.ts'
import { verifyTokenWithReport, type VerifyTokenOptions } from './verify.ts'
import { toJwks } from './jwks.ts'
import { createServer } from 'node:http'

const expected = { issuer: 'jwt-factory', audience: 'serviceb', subject: 'servicea' }
const T = new Date('2030-01-02T03:04:05.000Z')
const t = T.getTime() / 1000

let key: SigningKey
let other: SigningKey
let keys: KeySource
/** A real JWKS endpoint on loopback serving `key`, for the fetched key sets. */
const jwksServer = createServer((_, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(toJwks([key])))
})
let jwksUrl: string

beforeAll(async () => {
  ;[key, other] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')])
  keys = keyList([key], "servicea's public key")
  await new Promise<void>((ok) => jwksServer.listen(0, '127.0.0.1', ok))
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks`
})
afterAll(() => new Promise((ok) => jwksServer.close(ok)))

/** The claims the verifier expects, with `over` changed; an undefined value drops the claim. */
const claimsOf = (over: JWTPayload) =>
  JSON.parse(
    JSON.stringify({
      iss: 'jwt-factory',
      aud: 'serviceb',
      sub: 'servicea',
      iat: t,
      exp: t + 60,
      ...over,
    }),
  ) as JWTPayload
const signed = (over: JWTPayload = {}, header: Record<string, unknown> = {}, by = key) =>
  signForged(by, { alg: 'ES256', kid: key.kid, typ: 'JWT', ...header }, claimsOf(over))
const report = (token: string, options: VerifyTokenOptions = {}) =>
  verifyTokenWithReport(token, keys, { ...expected, currentDate: T, ...options })

/** The statuses in CHECK_ORDER, as one line: what a learner reads top to bottom. */
const statuses = async (token: string, options?: VerifyTokenOptions) => {
  const { report: r } = await report(token, options)
  return r.checks.map((c) => `${c.name}:${c.status}`)
}
const failingAt = (name: CheckName) =>
  CHECK_ORDER.map((c, i) => {
    const at = (CHECK_ORDER as readonly CheckName[]).indexOf(name)
    return `${c}:${i < at ? 'passed' : i === at ? 'failed' : 'not run'}`
  })

describe('verifyTokenWithReport: every check in the order it ran', () => {
  it('an accepted token passes every check and names the key it was checked with', async () => {
    const { result, report: r } = await report(await signed())
    expect(result.valid).toBe(true)
    expect(r.checks.every((c) => c.status === 'passed')).toBe(true)
    expect(r.failed).toBeUndefined()
    expect(r.key).toEqual({ kid: key.kid, alg: 'ES256' })
    expect(r.keys).toBe("servicea's public key")
    expect(r.clock).toEqual({ now: T.toISOString(), toleranceSeconds: 30 })
    expect(r.checks.find((c) => c.name === 'aud')).toEqual({
      name: 'aud',
      status: 'passed',
      expected: 'serviceb',
      seen: 'serviceb',
    })
  })

  const cases: [CheckName, () => Promise<string>][] = [
    ['format', async () => 'not.a.token'],
    ['key', async () => signed({}, { kid: 'someone-else' })],
    ['alg', async () => forgeToken({ alg: 'none', kid: key.kid, typ: 'JWT' }, claimsOf({}), '')],
    ['signature', async () => signed({}, {}, other)],
    ['typ', async () => signed({}, { typ: 'at+jwt' })],
    ['required', async () => signed({ aud: undefined })],
    // jose reads iat's type before comparing nbf and exp: those must not show as passed.
    ['required', async () => signed({ iat: 'yesterday' as unknown as number })],
    ['iss', async () => signed({ iss: 'https://evil/' })],
    ['sub', async () => signed({ sub: 'servicec' })],
    ['aud', async () => signed({ aud: 'servicec' })],
    ['nbf', async () => signed({ nbf: t + 600 })],
    ['exp', async () => signed({ exp: t - 600, iat: t - 700 })],
    ['iat', async () => signed({ iat: t + 600, exp: t + 700 })],
  ]
  for (const [check, make] of cases) {
    it(`a token that fails ${check}: the checks before it passed, the rest did not run`, async () => {
      const token = await make()
      const { result, report: r } = await report(token)
      expect(result.valid).toBe(false)
      expect(r.failed).toBe(check)
      expect(await statuses(token)).toEqual(failingAt(check))
    })
  }

  it('a token with two faults is reported at the first in the order jose checks them', async () => {
    // A forged signature over a wrong audience: the audience is never looked at, since claims
    // under a bad signature are the attacker's words.
    const forged = await signed({ aud: 'servicec' }, {}, other)
    expect((await report(forged)).report.failed).toBe('signature')
    expect((await report(await signed({ iss: 'x', aud: 'servicec' }))).report.failed).toBe('iss')
    expect((await report(await signed({ aud: 'servicec', exp: t - 600 }))).report.failed).toBe(
      'aud',
    )
  })

  it('a check marked passed really passes: mending the failed one moves the failure on', async () => {
    const token = await signed({ aud: 'servicec', exp: t - 600, iat: t - 700 })
    expect((await report(token)).report.failed).toBe('aud')
    expect((await report(token, { audience: 'servicec' })).report.failed).toBe('exp')
    const mended = await report(token, { audience: 'servicec', clockToleranceSeconds: 900 })
    expect(mended.result.valid).toBe(true)
  })

  it('time checks show the claim, the verifier clock and the tolerance band', async () => {
    const token = await signed({ exp: t - 600, iat: t - 700 })
    const { report: r } = await report(token)
    expect(r.checks.find((c) => c.name === 'exp')).toEqual({
      name: 'exp',
      status: 'failed',
      expected: `after ${new Date((t - 30) * 1000).toISOString()}`,
      seen: new Date((t - 600) * 1000).toISOString(),
    })
    expect(r.checks.find((c) => c.name === 'nbf')?.seen).toBe('(none)')
  })

  it('a key set fetched over the network says how long ago it was fetched', async () => {
    let nowMs = T.getTime()
    const remote = remoteKeys(jwksUrl, {
      algorithms: ['ES256'],
      now: () => nowMs,
    })
    const token = await signed()
    const first = await verifyTokenWithReport(token, remote, { ...expected, currentDate: T })
    expect(first.report.keysFetchedSecondsAgo).toBe(0)
    nowMs += 42_000
    const later = new Date(T.getTime() + 42_000)
    const second = await verifyTokenWithReport(token, remote, { ...expected, currentDate: later })
    expect(second.report.keysFetchedSecondsAgo).toBe(42)
    expect(remote.cache?.()).toMatchObject({ kids: [key.kid], fetchedAt: T.getTime() })
  })

  it('alg: none against a JWKS: the set refuses the alg while choosing a key, so key did not run', async () => {
    const remote = remoteKeys(jwksUrl, { algorithms: ['ES256'] })
    const none = forgeToken({ alg: 'none', kid: key.kid, typ: 'JWT' }, claimsOf({}), '')
    const { report: r } = await verifyTokenWithReport(none, remote, {
      ...expected,
      currentDate: T,
    })
    expect(r.failed).toBe('alg')
    expect(r.checks.slice(0, 3).map((c) => `${c.name}:${c.status}`)).toEqual([
      'format:passed',
      'key:not run',
      'alg:failed',
    ])
    expect(r.key).toBeUndefined()
  })

  it('the report never carries the signature', async () => {
    const token = await signed({}, {}, other)
    const { report: r } = await report(token)
    expect(JSON.stringify(r)).not.toContain(splitToken(token).segments[2])
  })
})

describe('the act chain (RFC 8693 §4.1), for a verifier that expects one', () => {
  // serviceb's scenario-6 check: the user's token, passed on by servicea alone.
  const chain = { actors: ['servicea'] }
  const actOf = async (token: string, options: VerifyTokenOptions = chain) =>
    (await report(token, options)).report.checks.find((c) => c.name === 'act')

  it('runs last, after every check above it passed, and shows the chain it expected and saw', async () => {
    const token = await signed({ act: { sub: 'servicea' } })
    const { result, report: r } = await report(token, chain)
    expect(result.valid).toBe(true)
    expect(r.checks.map((c) => c.name)).toEqual([...CHECK_ORDER, 'act'])
    expect(await actOf(token)).toEqual({
      name: 'act',
      status: 'passed',
      expected: 'servicea',
      seen: 'servicea',
    })
  })

  it('is not a check of a verifier that expects no chain: a token with any act passes it by', async () => {
    const token = await signed({ act: { sub: 'mallory' } })
    const { result, report: r } = await report(token)
    expect(result.valid).toBe(true)
    expect(r.checks.map((c) => c.name)).toEqual([...CHECK_ORDER])
  })

  // A token that reached serviceb some other way than through servicea: straight from a login
  // (no act), through another service, or through servicea and then someone else.
  const refused: [string, JWTPayload, string][] = [
    ['none', {}, 'none'],
    ['another actor', { act: { sub: 'servicec' } }, 'servicec'],
    [
      'one actor too many',
      { act: { sub: 'servicec', act: { sub: 'servicea' } } },
      'servicec ← servicea',
    ],
    ['an actor without a name', { act: { client_id: 'servicea' } }, '?'],
    [
      'an actor whose sub is spelled with the arrow',
      { act: { sub: 'servicea ← x' } },
      'servicea ← x',
    ],
  ]
  for (const [what, claims, seen] of refused) {
    it(`refuses ${what}: act fails, every check before it passed`, async () => {
      const token = await signed(claims)
      const { result, report: r } = await report(token, chain)
      expect(result.valid).toBe(false)
      if (result.valid) return
      expect(result.error).toMatchObject({
        name: 'JsonWebTokenError',
        code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
        message: `jwt act chain invalid. expected: servicea, seen: ${seen}`,
      })
      expect(r.failed).toBe('act')
      expect(r.checks.map((c) => c.status)).toEqual([...CHECK_ORDER.map(() => 'passed'), 'failed'])
      expect(await actOf(token)).toMatchObject({ expected: 'servicea', seen })
    })
  }

  it('two actors must come in their order, the most recent outermost', async () => {
    const twoHops = { actors: ['serviceb', 'servicea'] }
    const inOrder = await signed({ act: { sub: 'serviceb', act: { sub: 'servicea' } } })
    const reversed = await signed({ act: { sub: 'servicea', act: { sub: 'serviceb' } } })
    expect((await report(inOrder, twoHops)).result.valid).toBe(true)
    expect((await report(reversed, twoHops)).report.failed).toBe('act')
  })

  it('a nesting deeper than any delegation here is refused after its first actors, not walked to its end', async () => {
    let act: JWTPayload = { sub: 'servicea' }
    for (let i = 0; i < 40; i++) act = { sub: 'servicea', act }
    const { result, report: r } = await report(await signed({ act }), chain)
    expect(result.valid).toBe(false)
    expect(r.failed).toBe('act')
    // Read no further than nine actors: one more than any chain this product accepts.
    expect(r.checks.at(-1)?.seen?.split(' ← ')).toHaveLength(9)
  })

  it('a chain read only in part is never the one expected, even when its first actors are', async () => {
    let act: JWTPayload = { sub: 'servicea' }
    for (let i = 0; i < 40; i++) act = { sub: 'servicea', act }
    const nine = { actors: Array.from({ length: 9 }, () => 'servicea') }
    const { result } = await report(await signed({ act }), nine)
    expect(result.valid).toBe(false)
  })

  it('a token that fails earlier never has its chain judged', async () => {
    const { report: r } = await report(await signed({ aud: 'servicec' }), chain)
    expect(r.failed).toBe('aud')
    expect(r.checks.at(-1)).toMatchObject({ name: 'act', status: 'not run' })
  })
})
