import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  generateSigningKey,
  SERVICE_TOKEN_TYPE,
  signToken,
  USER_TOKEN_TYPE,
  type JWTPayload,
  type SigningKey,
} from '@jwt-factory/jwt'
import { silentLogger } from '@jwt-factory/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config.ts'
import { FileKeyRingSource } from '../keys/file-key-ring-source.ts'
import { KeyStore } from '../keys/key-store.ts'
import { UserKeys } from '../keys/user-keys.ts'
import { hashPassword } from '../users/password-hash.ts'
import type { UserRecord } from '../users/user-record.ts'
import { UserStore } from '../users/user-store.ts'
import { USERS_FORMAT, writeUsersFile } from '../users/users-file.ts'
import { inspectToken, type InspectionContext } from './inspect-token.ts'
import { fileDocumentSource } from '../stores/file-document-source.ts'
import { REVOCATIONS_FORMAT } from './revocations-file.ts'
import { RevocationStore } from './revocations.ts'

let dir: string
let context: InspectionContext
let servicea: SigningKey
let serviceb: SigningKey
let userKey: SigningKey
let userStore: UserStore
let usersFile: string
let alice: UserRecord
/** The factory's clock; tests move it instead of waiting. */
let now = new Date('2030-01-01T00:00:00Z')
const PUBLIC_URL = 'https://factory.test'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspect-token-'))
  const env = { KEYS_DIR: join(dir, 'keys'), REVOCATIONS_FILE: join(dir, 'revocations.json') }
  const config = loadConfig({ ...env, PUBLIC_URL, LOG_LEVEL: 'silent' }, dir)
  const logger = silentLogger()
  const algorithm = config.algorithm
  const fileSource = (dir: string) => new FileKeyRingSource({ dir, algorithm, logger })
  const keyStore = await KeyStore.open({ source: fileSource(config.keysDir), algorithm, logger })
  const userKeys = await UserKeys.open({
    source: fileSource(config.userKeysDir),
    algorithm,
    logger,
  })
  const revocations = await RevocationStore.open({
    source: fileDocumentSource(config.revocationsFile, REVOCATIONS_FORMAT, logger),
    logger,
    now: () => now,
    keepSeconds: config.clockToleranceSeconds,
  })
  servicea = (await keyStore.ensure('servicea')).ring.active
  serviceb = (await keyStore.ensure('serviceb')).ring.active
  userKey = await userKeys.signingKey()
  usersFile = join(dir, 'users.json')
  const password = await hashPassword('alice-password-0123')
  const created = new Date(0).toISOString()
  alice = { name: 'alice', password, roles: ['viewer'], locked: false, created, updated: created }
  await writeUsersFile(usersFile, [alice])
  const source = fileDocumentSource(usersFile, USERS_FORMAT, logger)
  userStore = await UserStore.open({ source, logger, refuseDemoPasswords: false })
  context = { config, keyStore, userKeys, revocations, userStore, now: () => now }
})

afterAll(async () => {
  userStore.close()
  await rm(dir, { recursive: true, force: true })
})

const SERVICE_CLAIMS = { iss: PUBLIC_URL, sub: 'servicea', aud: 'serviceb' }
const USER_CLAIMS = { iss: `${PUBLIC_URL}/users`, sub: 'alice', aud: 'servicea' }

async function sign(key: SigningKey, claims: JWTPayload, typ = SERVICE_TOKEN_TYPE, ttl = 300) {
  return (await signToken(key, claims, { ttlSeconds: ttl, typ, now })).token
}

async function inactiveBecause(token: string) {
  const inspection = await inspectToken(context, token)
  if (inspection.active) throw new Error('expected an inactive token')
  return inspection.error
}

describe('inspectToken', () => {
  it('a service token: active, the service issuer, verified with the ring of its sub', async () => {
    const inspection = await inspectToken(context, await sign(servicea, SERVICE_CLAIMS))
    expect(inspection).toMatchObject({
      active: true,
      issuer: 'services',
      header: { alg: servicea.alg, kid: servicea.kid, typ: 'JWT' },
      claims: { ...SERVICE_CLAIMS, jti: expect.any(String) },
    })
  })

  it('a user token: active, the user issuer, verified with the user key (at+jwt)', async () => {
    const token = await sign(userKey, USER_CLAIMS, USER_TOKEN_TYPE)
    expect(await inspectToken(context, token)).toMatchObject({
      active: true,
      issuer: 'users',
      header: { kid: userKey.kid, typ: 'at+jwt' },
      claims: USER_CLAIMS,
    })
  })

  it("a token of servicea's key that says it is serviceb's: no key of serviceb matches", async () => {
    const token = await sign(servicea, { ...SERVICE_CLAIMS, sub: 'serviceb' })
    expect(await inactiveBecause(token)).toMatchObject({ message: 'no key matches the token' })
    // serviceb's own key does verify it: the ring is the subject's, not "any service key".
    expect(
      (await inspectToken(context, await sign(serviceb, { ...SERVICE_CLAIMS, sub: 'serviceb' })))
        .active,
    ).toBe(true)
  })

  it('the user key cannot make a service token, even for the reserved keyId "users"', async () => {
    for (const sub of ['users', 'servicea', 'alice']) {
      const token = await sign(userKey, { ...SERVICE_CLAIMS, sub })
      expect(await inactiveBecause(token), sub).toMatchObject({ name: 'JsonWebTokenError' })
    }
  })

  it('a service key cannot make a user token', async () => {
    const token = await sign(servicea, { ...USER_CLAIMS, sub: 'servicea' }, USER_TOKEN_TYPE)
    expect(await inactiveBecause(token)).toMatchObject({ message: 'no key matches the token' })
  })

  it('the issuer decides typ: a service token typed at+jwt, a user token typed JWT, are inactive', async () => {
    const service = await sign(servicea, SERVICE_CLAIMS, USER_TOKEN_TYPE)
    const user = await sign(userKey, USER_CLAIMS, SERVICE_TOKEN_TYPE)
    expect(await inactiveBecause(service)).toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    })
    expect(await inactiveBecause(user)).toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' })
  })

  it('any other issuer is no token of ours, even signed by our own key', async () => {
    for (const iss of [
      'https://jwt-factory/',
      `${PUBLIC_URL}/`,
      'https://evil.example',
      undefined,
    ]) {
      const token = await sign(servicea, { ...SERVICE_CLAIMS, iss })
      expect(await inactiveBecause(token), String(iss)).toEqual({
        name: 'JsonWebTokenError',
        code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
        message: `jwt issuer invalid. expected: ${PUBLIC_URL} or ${PUBLIC_URL}/users`,
      })
    }
  })

  it("expiry on the factory's clock, with CLOCK_TOLERANCE_SECONDS", async () => {
    const token = await sign(servicea, SERVICE_CLAIMS, SERVICE_TOKEN_TYPE, 60)
    const issuedAt = now
    try {
      // jose: expired once now >= exp + tolerance.
      now = new Date(issuedAt.getTime() + (60 + context.config.clockToleranceSeconds - 1) * 1000)
      expect((await inspectToken(context, token)).active).toBe(true)
      now = new Date(now.getTime() + 1000)
      expect(await inactiveBecause(token)).toMatchObject({ name: 'TokenExpiredError' })
    } finally {
      now = issuedAt
    }
  })

  it('a revoked token is inactive; another token of the same service is not', async () => {
    const token = await sign(servicea, SERVICE_CLAIMS)
    const other = await sign(servicea, SERVICE_CLAIMS)
    const inspection = await inspectToken(context, token)
    if (!inspection.active) throw new Error('expected active')
    await context.revocations.revoke(inspection.claims.jti!, inspection.claims.exp!)
    expect(await inactiveBecause(token)).toEqual({
      name: 'JsonWebTokenError',
      code: 'ERR_TOKEN_REVOKED',
      message: 'jwt revoked',
    })
    expect((await inspectToken(context, other)).active).toBe(true)
  })

  it('garbage, an empty string and an oversized token are inactive, never a throw', async () => {
    const attacker = await generateSigningKey('ES256')
    const forged = await sign(attacker, SERVICE_CLAIMS)
    for (const token of ['', 'garbage', 'a.b.c', `${forged}x`, 'e'.repeat(1_000_000)]) {
      expect((await inspectToken(context, token)).active, token.slice(0, 20)).toBe(false)
    }
    expect(await inactiveBecause(forged)).toMatchObject({ name: 'JsonWebTokenError' })
  })
})

describe('a user token whose user changed since it was issued', () => {
  it('is inactive once the user is locked, and again active when unlocked (as POST /auth decides)', async () => {
    const token = await sign(userKey, USER_CLAIMS, USER_TOKEN_TYPE)
    expect((await inspectToken(context, token)).active).toBe(true)
    await writeUsersFile(usersFile, [{ ...alice, locked: true }])
    await userStore.refresh()
    expect(await inspectToken(context, token)).toEqual({
      active: false,
      error: expect.objectContaining({ code: 'ERR_USER_INACTIVE' }),
    })
    await writeUsersFile(usersFile, [alice])
    await userStore.refresh()
    expect((await inspectToken(context, token)).active).toBe(true)
  })

  it('is inactive once the user is removed', async () => {
    const token = await sign(userKey, USER_CLAIMS, USER_TOKEN_TYPE)
    await writeUsersFile(usersFile, [])
    await userStore.refresh()
    try {
      expect(await inspectToken(context, token)).toMatchObject({
        active: false,
        error: { code: 'ERR_USER_INACTIVE' },
      })
    } finally {
      await writeUsersFile(usersFile, [alice])
      await userStore.refresh()
    }
  })
})
