import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  cleanUp,
  eventually,
  freshKeysDir,
  postJson,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'
import { splitToken } from './token-parts.ts'

/**
 * Keys outlive the process: a rotated-out key keeps verifying its tokens after a restart until it
 * is retired, and a retired key stays retired. One keys folder, three processes in turn.
 */
interface KeyBody {
  keyId: string
  kid: string
  alg: string
  publicKey: string
}

let keysDir: string
let factory: FactoryProcess
/** stdout of every process of this file, for the log checks at the end. */
const logs: string[] = []
const issued: string[] = []
let oldKid: string
let newKid: string
let oldToken: string
let newToken: string
/** servicec is created and never rotated: it has no previous/ folder. */
let servicecKid: string
let servicecToken: string

const mode = async (path: string) => (await stat(path)).mode & 0o777

async function restart(): Promise<void> {
  const exit = await factory.stop()
  logs.push(factory.stdout())
  // A graceful stop on SIGTERM: exit code 0, and the last log line was flushed.
  expect(exit).toEqual({ code: 0, signal: null })
  expect(factory.logEntries().at(-1)?.msg).toBe('jwt-factory stopping')
  factory = await startFactory({ keysDir })
}

async function issue(keyId: string, aud: string): Promise<string> {
  const res = await postJson(`${factory.url}/issueToken/${keyId}`, { aud })
  expect(res.status).toBe(200)
  issued.push(res.text)
  return res.text
}

const verify = (token: string, keyId = 'servicea') =>
  postJson(`${factory.url}/verify/${keyId}`, { token, aud: 'serviceb', sub: keyId })

async function jwksKids(): Promise<string[]> {
  const res = await call(`${factory.url}/.well-known/jwks.json`)
  expect(res.status).toBe(200)
  return (res.json as { keys: { kid: string }[] }).keys.map((k) => k.kid)
}

beforeAll(async () => {
  keysDir = await freshKeysDir()
  factory = await startFactory({ keysDir })
})

afterAll(async () => {
  await cleanUp()
})

describe('keys across restarts', () => {
  it('creates the keys of a keyId once: 201, then 200 with the same kid', async () => {
    const first = await call(`${factory.url}/keys/servicea`)
    expect(first.status).toBe(201)
    const created = first.json as KeyBody
    expect(created.keyId).toBe('servicea')
    expect(created.alg).toBe('ES256')
    expect(created.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const publicPem = Buffer.from(created.publicKey, 'base64').toString()
    expect(publicPem).toContain('-----BEGIN PUBLIC KEY-----')

    const again = await call(`${factory.url}/keys/servicea`)
    expect(again.status).toBe(200)
    expect((again.json as KeyBody).kid).toBe(created.kid)
    oldKid = created.kid

    const servicec = await call(`${factory.url}/keys/servicec`)
    expect(servicec.status).toBe(201)
    servicecKid = (servicec.json as KeyBody).kid
    servicecToken = await issue('servicec', 'serviceb')
  })

  it('keeps the private key 0600 in a 0700 folder it created', async () => {
    expect(await mode(keysDir)).toBe(0o700)
    expect(await mode(join(keysDir, 'servicea-private.pem'))).toBe(0o600)
  })

  it('rotates: a new active kid, the old key in previous/ (0600), both tokens verify', async () => {
    oldToken = await issue('servicea', 'serviceb')
    expect(splitToken(oldToken).header.kid).toBe(oldKid)

    const rotated = await call(`${factory.url}/keys/servicea`, { method: 'POST' })
    expect(rotated.status).toBe(201)
    newKid = (rotated.json as KeyBody).kid
    expect(newKid).not.toBe(oldKid)
    expect(((await call(`${factory.url}/keys/servicea`)).json as KeyBody).kid).toBe(newKid)

    newToken = await issue('servicea', 'serviceb')
    expect(splitToken(newToken).header.kid).toBe(newKid)

    expect(await mode(join(keysDir, 'previous', 'servicea'))).toBe(0o700)
    expect(await mode(join(keysDir, 'previous', 'servicea', `${oldKid}-private.pem`))).toBe(0o600)
    expect(await mode(join(keysDir, 'servicea-private.pem'))).toBe(0o600)

    for (const token of [oldToken, newToken]) {
      const res = await verify(token)
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ valid: true, claims: { sub: 'servicea', aud: 'serviceb' } })
    }
  })

  it('after a restart both tokens still verify and the JWKS lists both kids', async () => {
    await restart()
    const keys = await call(`${factory.url}/keys/servicea`)
    expect(keys.status).toBe(200)
    expect((keys.json as KeyBody).kid).toBe(newKid)

    for (const token of [oldToken, newToken]) {
      const res = await verify(token)
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ valid: true, claims: { sub: 'servicea', aud: 'serviceb' } })
    }
    const kids = await jwksKids()
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid, servicecKid]))
    expect(kids).toHaveLength(3)
  })

  it('after a restart a keyId never rotated (no previous/ folder) keeps its key', async () => {
    const keys = await call(`${factory.url}/keys/servicec`)
    expect(keys.status).toBe(200)
    expect((keys.json as KeyBody).kid).toBe(servicecKid)
    const res = await verify(servicecToken, 'servicec')
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ valid: true, claims: { sub: 'servicec' } })
  })

  it('retires the old key (its tokens stop verifying), never the active one', async () => {
    const retired = await call(`${factory.url}/keys/servicea/${oldKid}`, { method: 'DELETE' })
    expect(retired.status).toBe(200)
    expect(retired.json).toEqual({ keyId: 'servicea', kid: oldKid, retired: true })

    const old = await verify(oldToken)
    expect(old.status).toBe(403)
    expect(old.json).toMatchObject({ valid: false })
    expect((await verify(newToken)).status).toBe(200)

    const active = await call(`${factory.url}/keys/servicea/${newKid}`, { method: 'DELETE' })
    expect(active.status).toBe(409)
    expect(active.json).toMatchObject({ error: { code: 'ERR_CONFLICT' } })
    const { message } = (active.json as { error: { message: string } }).error
    expect(message).toContain('POST /keys/servicea')

    const again = await call(`${factory.url}/keys/servicea/${oldKid}`, { method: 'DELETE' })
    expect(again.status).toBe(404)

    expect((await jwksKids()).sort()).toEqual([newKid, servicecKid].sort())
    const retiredFile = join(keysDir, 'previous', 'servicea', `${oldKid}-private.pem`)
    await expect(stat(retiredFile)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('after another restart the retired key is still gone', async () => {
    await restart()
    expect((await jwksKids()).sort()).toEqual([newKid, servicecKid].sort())
    const old = await verify(oldToken)
    expect(old.status).toBe(403)
    expect(old.json).toMatchObject({ valid: false })
    const current = await verify(newToken)
    expect(current.status).toBe(200)
    expect(current.json).toMatchObject({ valid: true })
    expect(((await call(`${factory.url}/keys/servicea`)).json as KeyBody).kid).toBe(newKid)
  })

  it('logs at info level name requests but never a whole token nor a private key', async () => {
    // The request lines are there (so the check below is not vacuous)…
    await eventually(() => factory.stdout().includes('"path":"/verify/servicea"'))
    const all = [...logs, factory.stdout()].join('\n')
    expect(all).toContain('"path":"/issueToken/servicea"')
    expect(issued.length).toBeGreaterThanOrEqual(2)
    // …and nothing secret is.
    for (const token of issued) expect(all).not.toContain(token)
    expect(all).not.toContain('PRIVATE KEY')
  })
})
