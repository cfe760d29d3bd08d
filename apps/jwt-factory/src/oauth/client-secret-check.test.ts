import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { TooManyRequestsError } from '@jwt-factory/server'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { hashPassword, type PasswordHash } from '../users/password-hash.ts'
import { ClientSecretCheck } from './client-secret-check.ts'

const SECRET = 'a-client-secret-0123456789'
const LIMIT = 3
let stored: PasswordHash
let clock = new Date('2030-01-01T00:00:00Z')

beforeAll(async () => {
  stored = await hashPassword(SECRET)
})

const check = () =>
  new ClientSecretCheck({
    windowSeconds: 300,
    maxFailuresPerClient: LIMIT,
    maxFailuresPerAddress: 100,
    now: () => clock,
  })

describe('ClientSecretCheck', () => {
  it('attack: wrong secrets for a client from one address → 429 there, while the client itself still gets in from its own', async () => {
    const secrets = check()
    for (let i = 0; i < LIMIT; i++)
      expect(await secrets.matches('servicea', `guess-${i}`, stored, '192.0.2.7')).toBe(false)
    await expect(secrets.matches('servicea', SECRET, stored, '192.0.2.7')).rejects.toBeInstanceOf(
      TooManyRequestsError,
    )
    expect(await secrets.matches('servicea', SECRET, stored, '127.0.0.1')).toBe(true)
  })

  it('remembers a verified secret by the hash it matched, also when the file is read again (an equal copy)', async () => {
    const secrets = check()
    const scrypt = vi.spyOn(crypto, 'scrypt')
    syncBuiltinESMExports()
    try {
      expect(await secrets.matches('servicea', SECRET, stored, '127.0.0.1')).toBe(true)
      expect(scrypt).toHaveBeenCalledTimes(1)
      const reread = JSON.parse(JSON.stringify(stored)) as PasswordHash
      expect(await secrets.matches('servicea', SECRET, reread, '127.0.0.1')).toBe(true)
      expect(scrypt).toHaveBeenCalledTimes(1)
      // Another hash (a rotated secret) is checked afresh, and the old secret fails against it.
      const rotated = await hashPassword(`${SECRET}-new`)
      scrypt.mockClear()
      expect(await secrets.matches('servicea', SECRET, rotated, '127.0.0.1')).toBe(false)
      expect(scrypt).toHaveBeenCalledTimes(1)
    } finally {
      scrypt.mockRestore()
      syncBuiltinESMExports()
    }
  })
})
