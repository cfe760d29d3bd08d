import { describe, expect, it } from 'vitest'
import { REFRESH_BEFORE_SECONDS, TokenCache } from './token-cache.ts'

function countingIssuer(ttl: number, now: () => number) {
  let issued = 0
  const issue = (aud: string) => async () => {
    issued++
    await new Promise((r) => setTimeout(r, 5))
    return { token: `${aud}-${issued}`, exp: now() + ttl }
  }
  return { issue, count: () => issued }
}

describe('TokenCache', () => {
  it('reuses a token per audience until it is close to expiry, then issues a new one', async () => {
    let now = 1000
    const issuer = countingIssuer(3600, () => now)
    const cache = new TokenCache(() => now)
    expect(await cache.get('serviceb', issuer.issue('serviceb'))).toEqual({
      token: 'serviceb-1',
      source: 'issued',
    })
    expect(await cache.get('serviceb', issuer.issue('serviceb'))).toEqual({
      token: 'serviceb-1',
      source: 'cached',
    })
    expect(await cache.get('servicec', issuer.issue('servicec'))).toEqual({
      token: 'servicec-2',
      source: 'issued',
    })
    now += 3600 - REFRESH_BEFORE_SECONDS - 1
    expect((await cache.get('serviceb', issuer.issue('serviceb'))).source).toBe('cached')
    now += 1
    expect(await cache.get('serviceb', issuer.issue('serviceb'))).toEqual({
      token: 'serviceb-3',
      source: 'issued',
    })
  })

  it('never hands out a token that has expired', async () => {
    let now = 1000
    const issuer = countingIssuer(30, () => now)
    const cache = new TokenCache(() => now)
    await cache.get('serviceb', issuer.issue('serviceb'))
    expect((await cache.get('serviceb', issuer.issue('serviceb'))).source).toBe('issued') // 30 s left is inside the refresh margin
    now += 31
    expect((await cache.get('serviceb', issuer.issue('serviceb'))).source).toBe('issued')
  })

  it('shares one factory request between concurrent misses, and fresh forces a new token', async () => {
    const issuer = countingIssuer(3600, () => 1000)
    const cache = new TokenCache(() => 1000)
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => cache.get('serviceb', issuer.issue('serviceb'))),
    )
    expect(issuer.count()).toBe(1)
    expect(new Set(answers.map((a) => a.token))).toEqual(new Set(['serviceb-1']))
    expect(await cache.get('serviceb', issuer.issue('serviceb'), { fresh: true })).toEqual({
      token: 'serviceb-2',
      source: 'issued',
    })
    expect(await cache.get('serviceb', issuer.issue('serviceb'))).toEqual({
      token: 'serviceb-2',
      source: 'cached',
    })
  })

  it('forget drops a refused token, but not a newer one that already replaced it', async () => {
    const issuer = countingIssuer(3600, () => 1000)
    const cache = new TokenCache(() => 1000)
    const first = await cache.get('serviceb', issuer.issue('serviceb'))
    cache.forget('serviceb', first.token)
    const second = await cache.get('serviceb', issuer.issue('serviceb'))
    expect(second).toEqual({ token: 'serviceb-2', source: 'issued' })
    // A second caller refused the first token too, but only after the new one came.
    cache.forget('serviceb', first.token)
    cache.forget('servicec', second.token)
    expect(await cache.get('serviceb', issuer.issue('serviceb'))).toEqual({
      token: 'serviceb-2',
      source: 'cached',
    })
  })

  it('entries() describes each cached token by audience: kid, expiry, reused until; never the token', async () => {
    const header = (kid: string) =>
      Buffer.from(JSON.stringify({ alg: 'ES256', kid })).toString('base64url')
    const token = (kid: string) => `${header(kid)}.e30.c2ln`
    const cache = new TokenCache(() => 1000)
    expect(cache.entries()).toEqual([])
    await cache.get('servicec', async () => ({ token: token('kid-c'), exp: 4600 }))
    await cache.get('serviceb', async () => ({ token: token('kid-b'), exp: 2000 }))
    const entries = cache.entries()
    expect(entries).toEqual([
      {
        aud: 'serviceb',
        kid: 'kid-b',
        expiresAt: 2_000_000,
        reusedUntil: (2000 - REFRESH_BEFORE_SECONDS) * 1000,
      },
      {
        aud: 'servicec',
        kid: 'kid-c',
        expiresAt: 4_600_000,
        reusedUntil: (4600 - REFRESH_BEFORE_SECONDS) * 1000,
      },
    ])
    expect(JSON.stringify(entries)).not.toContain(header('kid-b'))
  })

  it('a failed issue is not cached and does not block the next try', async () => {
    let fail = true
    const cache = new TokenCache()
    const issue = async () => {
      if (fail) throw new Error('factory down')
      return { token: 'serviceb', exp: Math.floor(Date.now() / 1000) + 3600 }
    }
    await expect(cache.get('serviceb', issue)).rejects.toThrow('factory down')
    fail = false
    expect(await cache.get('serviceb', issue)).toEqual({ token: 'serviceb', source: 'issued' })
  })
})
