import { readdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, cleanUp, startFactory, type FactoryProcess } from './factory-process.ts'

/** Concurrent first calls for one keyId must not race into two keys (or two half-written files). */
let factory: FactoryProcess

beforeAll(async () => {
  factory = await startFactory()
})

afterAll(async () => {
  await cleanUp()
})

describe('concurrent GET /keys/:keyId', () => {
  it('creates exactly one key: one 201, nineteen 200, one kid, one file pair', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => call(`${factory.url}/keys/newsvc`)),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 200)).toHaveLength(19)

    const kids = new Set(responses.map((r) => (r.json as { kid: string }).kid))
    expect(kids.size).toBe(1)
    const [kid] = kids
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/)

    // No second key, no previous/ folder, no leftover temporary file.
    expect((await readdir(factory.keysDir)).sort()).toEqual([
      'newsvc-private.pem',
      'newsvc-public.pem',
    ])

    const jwks = await call(`${factory.url}/.well-known/jwks.json`)
    expect((jwks.json as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([kid])
    const after = await call(`${factory.url}/keys/newsvc`)
    expect(after.status).toBe(200)
    expect((after.json as { kid: string }).kid).toBe(kid)
  })
})
