import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
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
 * A keys folder written by the original demo (PKCS#1 RSA, `<keyId>-private.pem`) keeps working
 * when new keys are ES256; files that cannot be used are skipped by name, never deleted.
 */
const rsaPkcs1 = (modulusLength: number) =>
  generateKeyPairSync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  })

const legacy = rsaPkcs1(2048)
const weak = rsaPkcs1(1024)
/** PEM armour around bytes that are no key ("not a key at all"). */
const BROKEN = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'bm90IGEga2V5IGF0IGFsbA==',
  '-----END RSA PRIVATE KEY-----',
  '',
].join('\n')

let keysDir: string
let factory: FactoryProcess

beforeAll(async () => {
  keysDir = await freshKeysDir()
  await mkdir(keysDir, { mode: 0o700 })
  await writeFile(join(keysDir, 'legacy-private.pem'), legacy.privateKey, { mode: 0o600 })
  await writeFile(join(keysDir, 'legacy-public.pem'), legacy.publicKey)
  await writeFile(join(keysDir, 'broken-private.pem'), BROKEN, { mode: 0o600 })
  await writeFile(join(keysDir, 'weak-private.pem'), weak.privateKey, { mode: 0o600 })
  factory = await startFactory({ keysDir, env: { ALGORITHM: 'ES256' } })
})

afterAll(async () => {
  await cleanUp()
})

describe('a keys folder from the original demo', () => {
  it('starts and lists the usable legacy key, not the broken or weak ones', async () => {
    const res = await call(`${factory.url}/utils/keys`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual(['legacy'])
  })

  it('names each skipped file in the log', async () => {
    const skipped = (file: string) =>
      factory
        .logEntries()
        .find((e) => e.file === file && String(e.msg).startsWith(`skipped ${file}`))
    const broken = await eventually(() => skipped('broken-private.pem'))
    const weakEntry = await eventually(() => skipped('weak-private.pem'))
    expect(broken.level).toBe(40)
    expect(weakEntry.level).toBe(40)
    expect(String(weakEntry.msg)).toContain('1024')
    // The reason is logged, never the content of the file.
    expect(factory.stdout()).not.toContain('PRIVATE KEY')
    expect(factory.stdout()).not.toContain('bm90IGEga2V5')
  })

  it('leaves every file it could not use, and the legacy private key, untouched', async () => {
    expect(await readFile(join(keysDir, 'broken-private.pem'), 'utf8')).toBe(BROKEN)
    expect(await readFile(join(keysDir, 'weak-private.pem'), 'utf8')).toBe(weak.privateKey)
    expect(await readFile(join(keysDir, 'legacy-private.pem'), 'utf8')).toBe(legacy.privateKey)
  })

  it('signs legacy tokens with RS256: the factory and the old public key verify them', async () => {
    const info = await call(`${factory.url}/keys/legacy`)
    expect(info.status).toBe(200)
    expect(info.json).toMatchObject({ keyId: 'legacy', alg: 'RS256' })

    const res = await postJson(`${factory.url}/issueToken/legacy`, { aud: 'serviceb' })
    expect(res.status).toBe(200)
    const { header, signingInput, signature } = splitToken(res.text)
    expect(header).toMatchObject({ alg: 'RS256', kid: (info.json as { kid: string }).kid })

    const verified = await postJson(`${factory.url}/verify/legacy`, {
      token: res.text,
      aud: 'serviceb',
      sub: 'legacy',
    })
    expect(verified.status).toBe(200)
    expect(verified.json).toMatchObject({ valid: true, claims: { sub: 'legacy', aud: 'serviceb' } })

    // The PKCS#1 public key the original demo wrote verifies it too.
    const publicKey = createPublicKey(legacy.publicKey)
    expect(verify('sha256', signingInput, publicKey, signature)).toBe(true)
  })

  it('creates new keys with the configured ES256 beside the legacy one', async () => {
    const res = await call(`${factory.url}/keys/fresh`)
    expect(res.status).toBe(201)
    expect(res.json).toMatchObject({ keyId: 'fresh', alg: 'ES256' })
  })
})
