import { readdir } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '@jwt-factory/server'
import { FileKeyRingSource } from '../keys/file-key-ring-source.ts'
import { UserKeys } from '../keys/user-keys.ts'
import { createLoginFactory, headerOf, TEST_USERS } from '../login/login-test-support.ts'

type LoginFactory = Awaited<ReturnType<typeof createLoginFactory>>
let f: LoginFactory
afterEach(() => f?.cleanup())

const { alice } = TEST_USERS
const json = async (res: Response) => (await res.json()) as Record<string, any>
const auth = (token: string) =>
  f.app.request('/auth', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
const userToken = async () =>
  (await json(await f.login(alice.name, alice.password))).access_token as string
const jwksKids = async (path: string) =>
  ((await json(await f.app.request(path))).keys as { kid: string }[]).map((k) => k.kid).sort()

describe('/keys/users: the user key is managed like a service key', () => {
  it('rotates: new logins get the new kid, earlier user tokens verify until their kid is retired', async () => {
    f = await createLoginFactory()
    const before = await userToken()
    const oldKid = headerOf(before).kid as string
    expect(await json(await f.app.request('/keys/users'))).toMatchObject({
      keyId: 'users',
      kid: oldKid,
      alg: 'ES256',
    })

    const rotated = await f.app.request('/keys/users', { method: 'POST' })
    expect(rotated.status).toBe(201)
    const newKid = (await json(rotated)).kid as string
    expect(newKid).not.toBe(oldKid)
    const after = await userToken()
    expect(headerOf(after).kid).toBe(newKid)
    // Both keys are published at /jwks/users (never in the service issuer's set), both tokens verify.
    expect(await jwksKids('/jwks/users')).toEqual([oldKid, newKid].sort())
    const serviceKids = await jwksKids('/.well-known/jwks.json')
    expect(serviceKids).not.toContain(oldKid)
    expect(serviceKids).not.toContain(newKid)
    expect((await auth(before)).status).toBe(200)
    expect((await auth(after)).status).toBe(200)

    expect((await f.app.request(`/keys/users/${newKid}`, { method: 'DELETE' })).status).toBe(409) // the active key
    expect(await json(await f.app.request(`/keys/users/${oldKid}`, { method: 'DELETE' }))).toEqual({
      keyId: 'users',
      kid: oldKid,
      retired: true,
    })
    expect(await jwksKids('/jwks/users')).toEqual([newKid])
    expect((await auth(before)).status).toBe(401)
    expect((await auth(after)).status).toBe(200)
  })

  it('keeps the rotation on disk: a factory opened on the same folder signs with the new key and still knows the old', async () => {
    f = await createLoginFactory()
    const oldKid = (await f.userKeys.signingKey()).kid
    const newKid = (await json(await f.app.request('/keys/users', { method: 'POST' })))
      .kid as string
    const logger = silentLogger()
    const reopened = await UserKeys.open({
      source: new FileKeyRingSource({ dir: f.config.userKeysDir, algorithm: 'ES256', logger }),
      algorithm: 'ES256',
      logger,
    })
    expect((await reopened.signingKey()).kid).toBe(newKid)
    expect(reopened.lookup(oldKid)?.kid).toBe(oldKid)
    expect(await readdir(f.config.userKeysDir)).toEqual(
      expect.arrayContaining(['users-private.pem', 'previous']),
    )
  })

  it('never removes the user key: DELETE /keys/users is a 409 that says to rotate and retire instead', async () => {
    f = await createLoginFactory()
    const kid = (await f.userKeys.signingKey()).kid
    const res = await f.app.request('/keys/users', { method: 'DELETE' })
    expect(res.status).toBe(409)
    expect((await json(res)).error).toMatchObject({
      code: 'ERR_CONFLICT',
      message: expect.stringContaining('POST /keys/users'),
    })
    expect(await jwksKids('/jwks/users')).toEqual([kid])
  })

  it('keeps `users` out of everything else a keyId names: issuing, verifying, public keys', async () => {
    f = await createLoginFactory()
    await f.userKeys.signingKey()
    const post = (path: string, body: unknown) =>
      f.app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('/issueToken/users', { aud: 'serviceb' })).status).toBe(400)
    expect((await post('/verify/users', { token: 'x.y.z', aud: 'serviceb' })).status).toBe(400)
    expect((await f.app.request('/utils/publicKey/users')).status).toBe(400)
  })
})
