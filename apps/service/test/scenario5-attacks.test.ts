import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hashPassword, updateUsersFile } from '@jwt-factory/factory'
import {
  generateSigningKey,
  signingKeyFromPem,
  USER_TOKEN_TYPE,
  type SigningKey,
} from '@jwt-factory/jwt'
import {
  acceptedTwins,
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  validToken,
  type Attack,
  type AttackContext,
  type AttackerKeys,
} from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Cluster, getJson } from './cluster.ts'

/**
 * The attack catalogue at scenario 5's second slot: serviceb's /scenario5-server with a valid
 * service token from servicea, and the forged token in X-User-Authorization. That slot trusts
 * the factory's user key (its JWKS at /jwks/users), wants `typ: at+jwt`, the factory's user issuer and
 * audience servicea, and any user; the catalogue's tokens carry `scope: app-view`, so each one
 * is refused for what was forged, not for a missing permission (the control proves it).
 */
const SERVICE = 'serviceb'
const USER = 'vera'

let cluster: Cluster
let attacker: AttackerKeys
let serviceToken: string
const keys = {} as { user: SigningKey; servicea: SigningKey }

beforeAll(async () => {
  cluster = await Cluster.start({ logLevel: 'warn' })
  attacker = await generateAttackerKeys()
  // A user makes the factory create its user key (written while it runs, as `npm run users` does).
  const time = new Date().toISOString()
  const password = await hashPassword('vera-password-1')
  await updateUsersFile(join(cluster.dir, 'users.json'), () => [
    { name: USER, password, roles: ['viewer'], locked: false, created: time, updated: time },
  ])
  const userPem = join(cluster.dir, 'keys', 'users', 'users-private.pem')
  await vi.waitFor(() => readFile(userPem, 'utf8'), { timeout: 10_000, interval: 100 })
  keys.user = await signingKeyFromPem(await readFile(userPem, 'utf8'), 'ES256')
  keys.servicea = await signingKeyFromPem(
    await readFile(join(cluster.dir, 'keys', 'servicea-private.pem'), 'utf8'),
    'ES256',
  )
  const issued = await getJson(`${cluster.urls['jwt-factory']}/issueToken/servicea`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ aud: SERVICE }),
  })
  expect(issued.status).toBe(200)
  serviceToken = issued.body.access_token
})

afterAll(() => cluster?.stop())

function contextFor(k = keys, a = attacker): AttackContext {
  // The catalogue spreads these claims into every token it signs: scope rides along.
  // The user issuer follows the cluster's random port; a stand-in names the tests before it starts.
  const iss = `${cluster?.urls.factoryHttps ?? 'https://localhost'}/users`
  const claims = { iss, sub: USER, aud: 'servicea', scope: 'app-view' }
  return {
    key: k.user,
    claims,
    checksSubject: false,
    typ: USER_TOKEN_TYPE,
    // A real service key of the same factory: its tokens must not pass as a user's.
    otherServiceKey: k.servicea,
    otherAudience: SERVICE,
    attacker: a,
  }
}

/** Test names are needed before the cluster exists: the same catalogue with throwaway keys. */
const sampleContext = await (async () => {
  const [user, servicea, at] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('ES256'),
    generateAttackerKeys(),
  ])
  return contextFor({ user, servicea }, at)
})()
const sampleCatalogue = attackCatalogue(sampleContext)

async function call(userToken: string) {
  const headers = {
    authorization: `Bearer ${serviceToken}`,
    'x-user-authorization': `Bearer ${userToken}`,
  }
  const res = await fetch(`${cluster.urls[SERVICE]}/scenario5-server`, { headers })
  const body = (await res.json()) as {
    message?: string
    valid?: boolean
    service?: { valid?: boolean }
    user?: {
      valid?: boolean
      error?: { name: string; message: string; code: string }
      claims?: unknown
    }
  }
  return { status: res.status, body, challenge: res.headers.get('www-authenticate') }
}

describe(`${SERVICE} GET /scenario5-server X-User-Authorization under attack`, () => {
  let attacks: Map<string, Attack>
  beforeAll(() => {
    attacks = new Map(attackCatalogue(contextFor()).map((a) => [a.id, a]))
  })

  it('control: the catalogue’s well-formed user token, beside a real service token, is admitted (200)', async () => {
    const answer = await call(validToken(contextFor()))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body).toMatchObject({
      valid: true,
      service: { valid: true },
      user: { valid: true },
    })
  })

  for (const { id, title } of acceptedTwins(sampleContext)) {
    it(`attack: ${title} → 200 accepted`, async () => {
      const twin = acceptedTwins(contextFor()).find((t) => t.id === id)!
      const answer = await call(twin.token)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    })
  }

  for (const { id, ...named } of sampleCatalogue) {
    if (named.oversized) continue
    it(attackTestName(named, 403), async () => {
      const attack = attacks.get(id)!
      const answer = await call(attack.token)
      expect(answer.status, JSON.stringify(answer.body)).toBe(403)
      // The service token held; the user token was judged, and never by its own say-so.
      expect(answer.body).toMatchObject({
        message: 'invalid user token',
        valid: false,
        service: { valid: true },
      })
      expect(answer.body.user).toEqual({
        valid: false,
        error: expect.objectContaining({
          name: attack.expect.name,
          code: expect.stringMatching(/^ERR_/),
        }),
        claims: {},
      })
      if (attack.expect.message)
        expect(answer.body.user?.error?.message).toBe(attack.expect.message)
      expect(answer.body.user?.error?.message).not.toMatch(/unavailable/)
      expect(answer.challenge).toMatch(
        new RegExp(`^Bearer realm="${SERVICE}", error="invalid_token"`),
      )
    })
  }

  // Node's HTTP parser refuses headers over 16 KiB before the app sees the request.
  it('attack: a 1 MB token → 431 RequestHeaderFieldsTooLarge', async () => {
    const token = attacks.get('one-megabyte')!.token
    const headers = {
      authorization: `Bearer ${serviceToken}`,
      'x-user-authorization': `Bearer ${token}`,
    }
    const res = await fetch(`${cluster.urls[SERVICE]}/scenario5-server`, { headers })
    expect(res.status).toBe(431)
    expect(res.statusText).toBe('Request Header Fields Too Large')
    expect((await call(validToken(contextFor()))).status).toBe(200)
  })
})
