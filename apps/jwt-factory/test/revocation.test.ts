import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { decodeTokenParts, type SigningKey } from '@jwt-factory/jwt'
import { signForged } from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginFactory, TEST_USERS } from '../src/login/login-test-support.ts'
import { createTestFactory, jsonPost } from '../src/test-support.ts'
import { addKeyClients, clientPost, formPost, type TestClient } from './oauth-requests.ts'

/**
 * POST /revoke (RFC 7009) through app.request() with real files: a revoked token is refused at
 * once by /verify, /auth and /introspect, the revocations file holds its jti (0600), a new app on
 * the same files still refuses it; a token of another client is 400 unauthorized_client, and an
 * invalid or unknown one 200, neither writing anything; entries past their token's expiry leave
 * the file at its next write.
 */
type Factory = Awaited<ReturnType<typeof createLoginFactory>>
type Client = 'servicea' | 'serviceb' | 'servicec'

let f: Factory
/** Where the revocations file goes: a folder the factory makes, as it makes data/. */
let dataDir: string
let revocationsFile: string
let clients: Record<Client, TestClient>
const alice = TEST_USERS.alice

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'revocation-test-'))
  revocationsFile = join(dataDir, 'data', 'revocations.json')
  f = await createLoginFactory({ REVOCATIONS_FILE: revocationsFile })
  clients = await addKeyClients(f, ['servicea', 'serviceb', 'servicec'])
  for (const keyId of ['servicea', 'serviceb', 'servicec'])
    expect((await f.app.request(`/keys/${keyId}`)).status).toBe(201)
})

afterAll(async () => {
  await f?.cleanup()
  await rm(dataDir, { recursive: true, force: true })
})

async function revoke(token: string, caller: Client = 'servicea') {
  const endpoint = f.config.endpoints.revocation
  const init = await clientPost(clients[caller], endpoint, { token }, f.clock.time)
  const res = await f.app.request('/revoke', init)
  return { res, status: res.status, text: await res.text() }
}

async function issue(keyId: string, claims: Record<string, unknown>, query = '') {
  const res = await f.app.request(`/issueToken/${keyId}${query}`, jsonPost(claims))
  expect(res.status).toBe(200)
  return res.text()
}

async function userToken(audience: string) {
  const res = await f.login(alice.name, alice.password, { 'x-audience': audience })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

const verifyAt = (app: Factory['app'], token: string) =>
  app.request('/verify/servicea', jsonPost({ token, aud: 'serviceb', sub: 'servicea' }))

async function introspect(
  token: string,
  caller: Client = 'serviceb',
): Promise<{ active?: boolean }> {
  const endpoint = f.config.endpoints.introspection
  const init = await clientPost(clients[caller], endpoint, { token }, f.clock.time)
  return (await f.app.request('/introspect', init)).json() as Promise<{ active?: boolean }>
}

/** The file's text, or undefined while nothing was ever revoked. */
const fileText = () => readFile(revocationsFile, 'utf8').catch(() => undefined)
const jtiOf = (token: string) => decodeTokenParts(token)!.claims.jti as string

describe('POST /revoke', () => {
  it('a garbage token: 200, empty, and nothing written (RFC 7009 §2.2)', async () => {
    for (const token of ['garbage', 'a.b.c']) {
      const { status, text, res } = await revoke(token)
      expect({ status, text }).toEqual({ status: 200, text: '' })
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
    expect(await fileText()).toBeUndefined()
  })

  it('an expired token: 200 and nothing written', async () => {
    const expired = await issue('servicea', { aud: 'serviceb' }, '?expired=1')
    expect((await revoke(expired)).status).toBe(200)
    expect(await fileText()).toBeUndefined()
  })

  it("another client's token: 400 unauthorized_client, nothing written, the token still good", async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const { status, text } = await revoke(token, 'servicec')
    expect(status).toBe(400)
    expect(JSON.parse(text)).toEqual({
      error: 'unauthorized_client',
      error_description: expect.stringContaining('servicec'),
    })
    expect(await fileText()).toBeUndefined()
    expect((await verifyAt(f.app, token)).status).toBe(200)
  })

  it('without client authentication: 401 invalid_client, nothing written', async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const res = await f.app.request('/revoke', formPost({ token }))
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'invalid_client' })
    expect(await fileText()).toBeUndefined()
    expect((await verifyAt(f.app, token)).status).toBe(200)
  })

  it('revoked by its subject: /verify refuses it at once, /introspect says inactive, the file holds its jti (0600)', async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const other = await issue('servicea', { aud: 'serviceb' })
    expect((await introspect(token)).active).toBe(true)
    expect(await revoke(token)).toMatchObject({ status: 200, text: '' })
    const refused = await verifyAt(f.app, token)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toEqual({
      valid: false,
      error: { name: 'JsonWebTokenError', code: 'ERR_TOKEN_REVOKED', message: 'jwt revoked' },
      claims: {},
    })
    expect(await introspect(token)).toEqual({ active: false })
    expect((await verifyAt(f.app, other)).status).toBe(200)
    // Traced: the verify span's checks all passed, and a span after it says what refused it.
    const traced = await f.app.request(
      '/verify/servicea',
      jsonPost({ token, aud: 'serviceb', sub: 'servicea' }, { 'x-trace': '1' }),
    )
    const spans = ((await traced.json()) as { trace: { call: string; status: number }[] }).trace
    expect(spans.map((s) => [s.call, s.status])).toEqual([
      ['verify with the keys of servicea', 200],
      ['check the revocations (POST /revoke)', 403],
    ])
    const onDisk = JSON.parse((await fileText())!) as { revoked: { jti: string; exp: number }[] }
    expect(onDisk.revoked).toContainEqual({
      jti: jtiOf(token),
      exp: decodeTokenParts(token)!.claims.exp,
    })
    expect((await stat(revocationsFile)).mode & 0o777).toBe(0o600)
    expect((await stat(dirname(revocationsFile))).mode & 0o777).toBe(0o700)
    // Revoking it again: 200, and the file is left as it was.
    const before = await fileText()
    expect((await revoke(token)).status).toBe(200)
    expect(await fileText()).toBe(before)
  })

  it('revoked by its audience: a user token is refused by POST /auth and /introspect', async () => {
    const token = await userToken('servicea')
    const auth = () =>
      f.app.request('/auth', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    expect((await auth()).status).toBe(200)
    expect((await revoke(token, 'servicea')).status).toBe(200)
    const refused = await auth()
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(await refused.json()).toMatchObject({ error: { code: 'ERR_TOKEN_REVOKED' } })
    expect(await introspect(token, 'servicea')).toEqual({ active: false })
  })

  it("a token of the factory's key without a jti: 400 unsupported_token_type, nothing written", async () => {
    // /issueToken always sets a jti; this one is signed with servicea's key by hand.
    const key = f.keyStore.get('servicea')!.active as SigningKey
    const now = Math.floor(f.clock.time.getTime() / 1000)
    const claims = { iss: f.config.serviceIssuer, sub: 'servicea', aud: 'serviceb' }
    const header = { alg: key.alg, kid: key.kid, typ: 'JWT' }
    const token = signForged(key, header, { ...claims, iat: now, exp: now + 300 })
    const before = await fileText()
    const { status, text } = await revoke(token)
    expect({ status, body: JSON.parse(text) }).toEqual({
      status: 400,
      body: { error: 'unsupported_token_type', error_description: expect.any(String) },
    })
    expect(await fileText()).toBe(before)
  })

  it('a restart (a new app on the same keys and revocations file) still refuses it', async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const other = await issue('servicea', { aud: 'serviceb' })
    expect((await revoke(token)).status).toBe(200)
    const restarted = await createTestFactory(
      { KEYS_DIR: f.keysDir, REVOCATIONS_FILE: revocationsFile },
      f.now,
    )
    try {
      expect((await verifyAt(restarted.app, other)).status).toBe(200)
      const refused = await verifyAt(restarted.app, token)
      expect(refused.status).toBe(403)
      expect(await refused.json()).toMatchObject({ error: { code: 'ERR_TOKEN_REVOKED' } })
    } finally {
      await restarted.cleanup()
    }
  })

  it("revocations past their token's expiry (and the clock tolerance) leave the file at its next write", async () => {
    const shortLived = await issue('servicea', { aud: 'serviceb' }, '?ttl=60')
    expect((await revoke(shortLived)).status).toBe(200)
    expect(await fileText()).toContain(jtiOf(shortLived))
    f.advance(60 + f.config.clockToleranceSeconds + 1)
    const later = await issue('servicea', { aud: 'serviceb' })
    expect((await revoke(later)).status).toBe(200)
    const text = (await fileText())!
    expect(text).not.toContain(jtiOf(shortLived))
    expect(text).toContain(jtiOf(later))
  })
})
