import { createServer as createHttpsServer, type Server } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { remoteKeys, verifyToken } from '@jwt-factory/jwt'
import { loadTlsFiles } from '@jwt-factory/tls'
import { Cluster, freePorts, getJson } from './cluster.ts'
// By path until @jwt-factory/server exports ./testing (see that file).
import { connectOutcome } from '@jwt-factory/server/testing'

/**
 * Faults of the real cluster (four processes, HTTPS between them): a hop stopped, frozen or
 * slow, servicea's factory key rotated under load, SIGTERM with requests in flight. Each fault
 * is undone in the test that made it, and every process is stopped at the end.
 */
const HOP_TIMEOUT_MS = 1000
/** The services' default KEYS_RELOAD_COOLDOWN_MS: the least time between two JWKS refetches. */
const VERIFIER_REFETCH_COOLDOWN_MS = 1000

/** Polls GET /healthz every 50 ms until stopped; any answer but 200 is recorded. */
function watchHealth(url: string) {
  const failures: string[] = []
  let polls = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const started = Date.now()
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
        await res.arrayBuffer()
        if (res.status !== 200) failures.push(`${res.status} at ${new Date(started).toISOString()}`)
      } catch (err) {
        failures.push(`${(err as Error).name} at ${new Date(started).toISOString()}`)
      }
      polls++
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return {
    failures,
    get polls() {
      return polls
    },
    stop: async () => {
      running = false
      await loop
    },
  }
}

describe('a dependency down or frozen: servicea answers 502/504 naming it, stays healthy, recovers without a restart', () => {
  let cluster: Cluster
  let health: ReturnType<typeof watchHealth>
  let pid: number | undefined
  const a = (path: string) => getJson(`${cluster.urls.servicea}${path}`)

  beforeAll(async () => {
    cluster = await Cluster.start({ hopTimeoutMs: HOP_TIMEOUT_MS })
    pid = cluster.pidOf('servicea')
    health = watchHealth(cluster.urls.servicea)
  })
  afterAll(async () => {
    await health?.stop()
    await cluster?.stop()
  })

  it('fault: serviceb stopped → scenario 1 502 naming serviceb; started again, the very next call is 200', async () => {
    expect((await a('/scenario1')).status).toBe(200)
    await cluster.stopProcess('serviceb')
    const down = await a('/scenario1')
    expect(down.status).toBe(502)
    expect(down.body.error).toMatchObject({
      name: 'BadGatewayError',
      code: 'ERR_BAD_GATEWAY',
      hop: 'serviceb',
    })
    expect(down.body.error.message).toMatch(/^serviceb is unreachable/)
    // Scenario 2 still gets servicec's answer; only serviceb's place names the hop.
    const partial = await a('/scenario2')
    expect(partial.status).toBe(502)
    expect(partial.body.servicec.valid).toBe(true)
    expect(partial.body.serviceb.error).toMatchObject({ hop: 'serviceb' })
    await cluster.startProcess('serviceb')
    const back = await a('/scenario1')
    expect(back.status, JSON.stringify(back.body)).toBe(200)
    expect(back.body.valid).toBe(true)
    expect((await a('/scenario2')).status).toBe(200)
  })

  it('fault: jwt-factory stopped → scenario 1 502 naming jwt-factory (fresh or cached token); started again, the next calls are 200', async () => {
    await cluster.stopProcess('jwt-factory')
    for (const path of ['/scenario1?fresh=1', '/scenario1']) {
      const down = await a(path)
      expect(down.status, path).toBe(502)
      expect(down.body.error, path).toMatchObject({ name: 'BadGatewayError', hop: 'jwt-factory' })
    }
    await cluster.startProcess('jwt-factory')
    for (const path of ['/scenario1?fresh=1', '/scenario1', '/scenario2?verify=jwks']) {
      const back = await a(path)
      expect(back.status, `${path}: ${JSON.stringify(back.body)}`).toBe(200)
    }
  })

  it('fault: jwt-factory frozen with SIGSTOP (connections accepted, nothing answers) → 504 naming it within the hop timeout; SIGCONT, the next call is 200', async () => {
    // The supervisor freezes the factory's whole process tree (its workers with WORKERS > 1).
    cluster.supervisor.freeze('jwt-factory')
    try {
      const started = Date.now()
      const frozen = await a('/scenario1?fresh=1')
      const elapsed = Date.now() - started
      expect(frozen.status).toBe(504)
      expect(frozen.body.error).toMatchObject({
        name: 'GatewayTimeoutError',
        code: 'ERR_GATEWAY_TIMEOUT',
        hop: 'jwt-factory',
      })
      // It waited out the configured limit: a frozen process never answers, its caller's timer did.
      // That it did not hang is the test's own timeout's to say, not a figure of this machine's.
      expect(elapsed).toBeGreaterThanOrEqual(HOP_TIMEOUT_MS - 50)
      // Meanwhile servicea answers what does not need the factory.
      expect((await a('/scenario3')).status).toBe(200)
    } finally {
      cluster.supervisor.thaw('jwt-factory')
    }
    const back = await a('/scenario1?fresh=1')
    expect(back.status, JSON.stringify(back.body)).toBe(200)
  })

  it('fault: every hop failure above → servicea answered GET /healthz 200 throughout, same process', async () => {
    await health.stop()
    expect(health.polls).toBeGreaterThan(20)
    expect(health.failures).toEqual([])
    expect(cluster.pidOf('servicea')).toBe(pid)
    expect(cluster.logsOf('servicea').some((l) => /unhandled|uncaught/i.test(l))).toBe(false)
  })
})

interface Answer {
  path: string
  status: number | 'error'
  /** When the request was sent (performance.now()). */
  sentAt: number
}

/**
 * `loops` clients calling servicea back to back until stop(); every answer that is not a 200 is
 * kept (the first five). `next(match)` resolves at the next answer `match` accepts: what the
 * rotations below wait for instead of a fixed delay.
 */
function loadOn(cluster: Cluster, loops: number, pathOf: (i: number) => string) {
  const statuses = new Map<string, number>()
  const failures: string[] = []
  const waiters = new Set<(answer: Answer) => void>()
  let stopped = false
  const record = (answer: Answer, failure?: string) => {
    statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1)
    if (failure !== undefined && failures.length < 5) failures.push(failure)
    for (const waiter of waiters) waiter(answer)
  }
  const loop = async (path: string) => {
    while (!stopped) {
      const sentAt = performance.now()
      try {
        const res = await getJson(`${cluster.urls.servicea}${path}`, {
          signal: AbortSignal.timeout(10_000),
        })
        const failure =
          res.status === 200 ? undefined : `${path} ${res.status} ${JSON.stringify(res.body)}`
        record({ path, status: res.status, sentAt }, failure)
      } catch (err) {
        record({ path, status: 'error', sentAt }, `${path} ${(err as Error).message}`)
      }
    }
  }
  const done = Promise.all(Array.from({ length: loops }, (_, i) => loop(pathOf(i))))
  return {
    statuses,
    failures,
    next(match: (answer: Answer) => boolean = () => true): Promise<Answer> {
      return new Promise((resolve) => {
        const waiter = (answer: Answer) => {
          if (!match(answer)) return
          waiters.delete(waiter)
          resolve(answer)
        }
        waiters.add(waiter)
      })
    },
    /** Resolves after `count` more answers. */
    async answers(count: number): Promise<void> {
      let seen = 0
      await this.next(() => ++seen >= count)
    },
    stop: async () => {
      stopped = true
      await done
    },
  }
}

describe("servicea's factory key rotated under load", () => {
  let cluster: Cluster

  beforeAll(async () => {
    cluster = await Cluster.start({ logLevel: 'warn' })
  })
  afterAll(() => cluster?.stop())

  const factory = (path: string, init?: RequestInit) =>
    getJson(`${cluster.urls['jwt-factory']}${path}`, init)
  const verify = (token: string) =>
    factory('/verify/servicea', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, aud: 'serviceb', sub: 'servicea' }),
    })

  it(
    "fault: servicea's key rotated 6 times under 32 loops of /scenario1 → only 200s; a token from before verifies until it expires",
    { timeout: 60_000 },
    async () => {
      // Long enough that the factory's own check below, in real time, falls inside it on any
      // machine; its end is checked with the verifier's clock set, not by waiting for it.
      const TTL_SECONDS = 300
      const before = await fetch(`${cluster.urls['jwt-factory']}/issueToken/servicea`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-expire-seconds': String(TTL_SECONDS),
        },
        body: JSON.stringify({ aud: 'serviceb' }),
      }).then((r) => r.json() as Promise<{ access_token: string; expire_time: number }>)
      const firstKid = (await factory('/keys/servicea')).body.kid as string

      const LOOPS = 32
      const load = loadOn(cluster, LOOPS, (i) =>
        i % 2 === 0 ? '/scenario1?fresh=1' : '/scenario1',
      )
      const kids: string[] = []
      // Each key serves a round of the load (one answer per loop) before the next rotation.
      for (let i = 0; i < 6; i++) {
        await load.answers(LOOPS)
        const res = await factory('/keys/servicea', { method: 'POST' })
        expect(res.status).toBe(201)
        kids.push(res.body.kid)
      }
      // Signed with the first key, six rotations ago, verified while the load still runs.
      const seconds = Date.now() / 1000 - (before.expire_time - TTL_SECONDS)
      const afterRotations = { ...(await verify(before.access_token)), seconds }
      await load.answers(LOOPS)
      await load.stop()

      expect(load.failures).toEqual([])
      expect([...load.statuses.keys()]).toEqual(['200'])
      expect(load.statuses.get('200')).toBeGreaterThan(100)
      expect(new Set([firstKid, ...kids]).size).toBe(7)
      const { seconds: age, ...still } = afterRotations
      expect(age, 'the rotations took longer than the token lives: nothing was shown').toBeLessThan(
        TTL_SECONDS,
      )
      expect(still.status, JSON.stringify(still.body)).toBe(200)
      expect(still.body.valid).toBe(true)

      // And it stops at its exp, not before: the published keys still hold the first one, and a
      // verifier allowing no clock skew accepts the token in its last second and refuses it at exp.
      const published = remoteKeys(`${cluster.urls.factoryHttps}/jwks/servicea`, {
        algorithms: ['ES256'],
        fetch: cluster.https.fetch,
      })
      const at = (epochSeconds: number) =>
        verifyToken(before.access_token, published, {
          audience: 'serviceb',
          subject: 'servicea',
          clockToleranceSeconds: 0,
          currentDate: new Date(epochSeconds * 1000),
        })
      expect(await at(before.expire_time - 1)).toMatchObject({ valid: true })
      expect(await at(before.expire_time)).toMatchObject({
        valid: false,
        error: { name: 'TokenExpiredError' },
      })
    },
  )

  // Each rotation once the verifier has fetched the previous key and its refetch cooldown has
  // passed, as real rotations are far apart (jose's default 30 s cooldown failed this: a new
  // key's tokens were refused for up to 30 s after a fetch). The wait is the verifier's contract
  // (at most one refetch per cooldown), counted from the fetch's observable effect.
  it(
    "fault: servicea's key rotated 3 times under 16 loops of /scenario1?verify=jwks → only 200s",
    { timeout: 60_000 },
    async () => {
      const FRESH = '/scenario1?fresh=1&verify=jwks'
      // A fresh token sent after a rotation is signed with the new key: once serviceb has
      // answered it, serviceb has fetched the set holding that key (or held it already).
      const load = loadOn(cluster, 16, (i) => (i % 2 === 0 ? FRESH : '/scenario1?verify=jwks'))
      const keyFetchedSince = (since: number) =>
        load.next((answer) => answer.path === FRESH && answer.sentAt > since)
      let changedAt = 0
      for (let i = 0; i < 3; i++) {
        await keyFetchedSince(changedAt)
        await new Promise((resolve) => setTimeout(resolve, VERIFIER_REFETCH_COOLDOWN_MS))
        const res = await getJson(`${cluster.urls['jwt-factory']}/keys/servicea`, {
          method: 'POST',
        })
        expect(res.status).toBe(201)
        changedAt = performance.now()
      }
      await keyFetchedSince(changedAt)
      await load.answers(16)
      await load.stop()
      expect(load.failures).toEqual([])
      expect([...load.statuses.keys()]).toEqual(['200'])
    },
  )
})

describe('SIGTERM to servicea with requests in flight', () => {
  let cluster: Cluster
  let slow: Server
  let slowPort: number
  /** The slow serviceb's answers, held until the test lets them go. */
  const held: (() => void)[] = []
  let allHeld: () => void
  const fourHeld = new Promise<void>((resolve) => (allHeld = resolve))
  const answered: number[] = []

  beforeAll(async () => {
    ;[slowPort] = (await freePorts(1)) as [number]
    // serviceb is replaced by a server that accepts every token, once the test says so.
    cluster = await Cluster.start({
      env: { servicea: { SERVICEB_URL: `https://127.0.0.1:${slowPort}` } },
    })
    const tls = await loadTlsFiles(join(cluster.dir, 'certs'))
    slow = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      req.resume()
      held.push(() => {
        answered.push(Date.now())
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({ valid: true, claims: { sub: 'servicea', aud: 'serviceb', slow: true } }),
        )
      })
      if (held.length === 4) allHeld()
    })
    await new Promise<void>((resolve) => slow.listen(slowPort, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    held.splice(0).forEach((answer) => answer())
    slow?.closeAllConnections()
    await new Promise((resolve) => slow?.close(resolve))
    await cluster?.stop()
  })

  it(
    'fault: SIGTERM to servicea with 4 requests in flight → all answered, new connections refused, exit 0',
    { timeout: 30_000 },
    async () => {
      const port = Number(new URL(cluster.urls.servicea).port)
      const inFlight = Array.from({ length: 4 }, () =>
        getJson(`${cluster.urls.servicea}/scenario3`),
      )
      await fourHeld // each one is at serviceb's place: in flight at servicea
      const exit = cluster.firstExit()
      process.kill(cluster.pidOf('servicea')!, 'SIGTERM')
      await cluster.untilLogs(() =>
        cluster.logsOf('servicea').some((l) => l.includes('servicea stopping')),
      )
      // It closes its listeners as it logs that (asynchronously: the line may come first). Until
      // it has, a connection still gets in, or is reset when it was queued as the listener
      // closed; the answers are held, so this is before they are out.
      let outcome = await connectOutcome(port)
      while (outcome === 'connected' || outcome === 'ECONNRESET')
        outcome = await connectOutcome(port)
      expect(outcome).toBe('ECONNREFUSED')
      expect(answered, 'the requests were still in flight').toEqual([])
      held.splice(0).forEach((answer) => answer())
      for (const res of await Promise.all(inFlight)) {
        expect(res.status).toBe(200)
        expect(res.body).toEqual({
          valid: true,
          claims: { sub: 'servicea', aud: 'serviceb', slow: true },
        })
      }
      expect(await exit).toEqual({ name: 'servicea', code: 0 })
      // That it does not wait out a keep-alive timeout once the answers are out is shown by
      // packages/server's listen.test.ts, with a timeout far past the test's, not a clock here.
      expect(answered).toHaveLength(4)
    },
  )
})
