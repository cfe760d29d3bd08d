import { join } from 'node:path'
import { ensureDemoUsers } from '@jwt-factory/factory'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import type { Span } from '@jwt-factory/trace'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Cluster } from '../../../scripts/demo/cluster.ts'
import { consoleConfigFor } from '../../../scripts/demo/console-cluster.ts'
import type { RunningConsole } from '../src/start-console.ts'
import { serveConsole } from './console-under-test.ts'
import { SseReader } from './sse-reader.ts'

/**
 * The console against the real cluster: the factory and the three services as processes on free
 * ports with their own CA, driven by the cluster's Supervisor, and the console served on a free
 * loopback port, called as the page calls it.
 */
let cluster: Cluster
let http: HttpClient
let running: RunningConsole
let sse: SseReader
/** Short enough that a frozen hop answers 504 quickly, long enough for any loopback hop. */
const HOP_TIMEOUT_MS = 2000

beforeAll(async () => {
  cluster = await Cluster.start({
    env: {
      servicea: { HOP_TIMEOUT_MS: String(HOP_TIMEOUT_MS) },
      // A token naming a kid serviceb lacks makes it fetch the JWKS then, not a cooldown later.
      serviceb: { KEYS_RELOAD_COOLDOWN_MS: '0' },
    },
  })
  http = createHttpClient({ caPem: cluster.caPem, timeoutMs: 20_000 })
  running = await serveConsole(consoleConfigFor(cluster), cluster.supervisor, http)
  // Written while the factory runs, as npm start does before it starts it; it reloads the file.
  await ensureDemoUsers(join(cluster.dir, 'users.json'))
  sse = await SseReader.open(`${base()}events`)
  await vi.waitFor(async () => expect((await run({ scenario: 5 })).status).toBe(200), {
    timeout: 10_000,
    interval: 100,
  })
})
afterAll(async () => {
  await sse?.close()
  await running?.close()
  await http?.close()
  await cluster?.stop()
})

const base = () => `http://127.0.0.1:${running.port}/`

async function post(path: string, body: unknown = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}

async function run(request: object) {
  const res = await post('control/run', request)
  expect(res.status).toBe(200)
  return res.body as {
    rid: string
    status: number
    body: any
    trace: Span[]
    curl: string
    url: string
  }
}

const getState = (): Promise<any> => fetch(`${base()}control/state`).then((r) => r.json())
const line = (s: Span) => `${s.id} ${s.kind} ${s.from}->${s.to} ${s.call} ${s.status}`
const verifySpans = (trace: Span[]) => trace.filter((s) => s.kind === 'verify')

describe('GET /events', () => {
  it("delivers the span and log events of a run, with the run's rid, as they happen", async () => {
    expect(sse.response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    // A new subscriber first hears every process's state.
    expect(sse.of('process').slice(0, 4)).toEqual(
      ['jwt-factory', 'servicea', 'serviceb', 'servicec'].map((name) => ({
        name,
        state: 'running',
      })),
    )
    const answer = await run({ scenario: 1, verify: 'jwks', fresh: true })
    const ids = answer.trace.map((s) => s.id)
    expect(ids).toEqual(['1', '1.1', '1.2', '1.2.1'])
    // Each span as it ended (a call's start, status 0, comes before it: see the next test).
    const spansOfRun = () => sse.of('span', (s) => s.rid === answer.rid && s.status !== 0)
    await sse.until(() => spansOfRun().length === ids.length)
    expect(new Set(spansOfRun().map((s: Span) => s.id))).toEqual(new Set(ids))
    // Never a compact token in an event: that is the answer's, for the learner who asked.
    expect(spansOfRun().every((s: Span) => s.token?.compact === undefined)).toBe(true)
    // The decoded token does come live: the page shows it before the answer arrives.
    const carried = spansOfRun().find((s: Span) => s.call.startsWith('GET /scenario1-server'))
    expect(carried?.token).toMatchObject({ header: { alg: 'ES256' }, claims: { aud: 'serviceb' } })
    const logsOf = (process: string) =>
      sse.of('log', (l) => l.rid === answer.rid && l.process === process)
    await sse.until(() => logsOf('servicea').length > 0 && logsOf('serviceb').length > 0)
    expect(logsOf('serviceb')[0]).toMatchObject({ level: 'info', rid: answer.rid })
    expect(typeof logsOf('serviceb')[0].time).toBe('number')
    // The span lines are span events alone, not log lines too.
    expect(sse.of('log', (l) => l.rid === answer.rid && l.msg === 'span')).toEqual([])
  })

  it('delivers the spans and log lines of a run started elsewhere (curl with ?trace=1), under its rid', async () => {
    const res = await fetch(`${cluster.urls.servicea}/scenario3?trace=1`)
    expect(res.status).toBe(200)
    const { trace } = (await res.json()) as { trace: Span[] }
    const rid = trace[0]!.rid
    expect(rid.startsWith('console-')).toBe(false)
    const spansOfRun = () => sse.of('span', (s) => s.rid === rid && s.status !== 0)
    await sse.until(() => spansOfRun().length === trace.length)
    expect(new Set(spansOfRun().map((s: Span) => s.id))).toEqual(new Set(trace.map((s) => s.id)))
    await sse.until(
      () => sse.of('log', (l) => l.rid === rid && l.process === 'serviceb').length > 0,
    )
  })

  it('announces each call as it starts, before its callee answers: a frozen serviceb keeps servicea waiting in sight', async () => {
    await post('control/processes/serviceb/freeze', {})
    try {
      const heard = sse.of('span').length
      const pressed = run({ scenario: 1 })
      const waiting = () =>
        sse
          .of('span')
          .slice(heard)
          .filter((s) => s.status === 0 && s.from === 'servicea' && s.to === 'serviceb')
      await sse.until(() => waiting().length > 0)
      const [started] = waiting()
      expect(started).toMatchObject({ kind: 'call', call: 'GET /scenario1-server', ms: 0 })
      // Still no answer: the call is under way while serviceb is frozen.
      expect(
        sse.of('span', (s) => s.rid === started.rid && s.id === started.id && s.status),
      ).toEqual([])
      const answer = await pressed
      expect(answer.status).toBe(504)
      expect(answer.trace.find((s) => s.id === started.id)?.status).toBe(504)
    } finally {
      await post('control/processes/serviceb/thaw', {})
    }
  })

  it('forgets a browser that went away', async () => {
    const before = running.hub.subscriberCount
    const tab = await SseReader.open(`${base()}events`)
    await vi.waitFor(() => expect(running.hub.subscriberCount).toBe(before + 1))
    await tab.close()
    await vi.waitFor(() => expect(running.hub.subscriberCount).toBe(before))
  })
})

describe('POST /control/run', () => {
  it('runs each scenario at servicea over HTTPS and answers its status, body, spans and curl', async () => {
    const roots = {
      1: ['1.1 call servicea->jwt-factory', '1.2 call servicea->serviceb'],
      2: ['call servicea->serviceb', 'call servicea->servicec'],
      3: ['1.1 sign servicea->servicea', '1.2 call servicea->serviceb'],
      4: ['sign servicea->servicea', 'call servicea->servicec'],
    } as const
    for (const scenario of [1, 2, 3, 4] as const) {
      // A fresh token: the factory's part is drawn, not servicea's cache.
      const answer = await run({ scenario, fresh: true })
      expect(answer.status, `scenario ${scenario}`).toBe(200)
      expect(answer.body.trace).toBeUndefined()
      expect(answer.trace[0]).toMatchObject({
        id: '1',
        from: 'user',
        to: 'servicea',
        rid: answer.rid,
      })
      const lines = answer.trace.map(line).join('\n')
      for (const part of roots[scenario]) expect(lines).toContain(part)
      expect(answer.url).toMatch(
        new RegExp(`^https://localhost:\\d+/scenario${scenario}\\?trace=1&fresh=1$`),
      )
      expect(answer.curl).toBe(`curl --cacert ${join(cluster.dir, 'certs/ca.pem')} "${answer.url}"`)
    }
  })

  it('scenario 5 logs the demo user in first: span 0, then servicea checks the user token', async () => {
    const answer = await run({ scenario: 5, verify: 'jwks' })
    expect(answer.status).toBe(200)
    expect(answer.url).toMatch(/\/scenario5\?trace=1&verify=jwks$/)
    const [login, root] = answer.trace
    expect(login).toMatchObject({
      id: '0',
      kind: 'call',
      from: 'user',
      to: 'jwt-factory',
      call: 'POST /login',
      status: 200,
      rid: answer.rid,
      tls: { peer: expect.any(String), ca: expect.any(String) },
      token: {
        source: 'user',
        header: { typ: 'at+jwt' },
        claims: { sub: 'viewer', aud: 'servicea' },
      },
    })
    expect(root).toMatchObject({ id: '1', from: 'user', to: 'servicea' })
    expect(answer.curl).toContain(`-H 'Authorization: Bearer ${login!.token!.compact}'`)
    const userCheck = answer.trace.find((s) => s.kind === 'verify' && s.from === 'servicea')
    expect(userCheck?.token?.source).toBe('user')
    // serviceb checks two tokens: servicea's, then the user's.
    const atServiceb = verifySpans(answer.trace).filter((s) => s.from === 'serviceb')
    expect(atServiceb).toHaveLength(2)
    await sse.until(
      () => sse.of('span', (s) => s.rid === answer.rid && s.id === '0' && s.status).length === 1,
    )
  })

  it('scenario 6 logs the demo user in, then each hop exchanges the token: servicec sees the user and the act chain', async () => {
    const answer = await run({ scenario: 6 })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.url).toMatch(/\/scenario6\?trace=1$/)
    expect(answer.trace[0]).toMatchObject({ id: '0', call: 'POST /login', status: 200 })
    const exchanges = answer.trace.filter((s) => s.call.startsWith('POST /token'))
    expect(exchanges.map((s) => `${s.from}->${s.to} ${s.status}`)).toEqual([
      'servicea->jwt-factory 200',
      'serviceb->jwt-factory 200',
    ])
    const last = answer.trace.find((s) => s.kind === 'call' && s.to === 'servicec')
    expect(last?.token?.claims).toMatchObject({
      sub: 'viewer',
      aud: 'servicec',
      act: { sub: 'serviceb', act: { sub: 'servicea' } },
    })
  })

  it("scenario 6 skip: servicea asks for servicec straight away, and the factory's exchange policy refuses it", async () => {
    const answer = await run({ scenario: 6, skip: true })
    expect(answer.status).toBe(403)
    expect(answer.url).toMatch(/\/scenario6\?trace=1&skip=1$/)
    expect(answer.body.oauth).toMatchObject({ error: 'invalid_target' })
    expect(answer.trace.some((s) => s.to === 'servicec')).toBe(false)
  })

  it('scenario 6 takes only the skip variant, and only scenario 6 takes it: 400 otherwise', async () => {
    for (const request of [
      { scenario: 6, expired: true },
      { scenario: 6, verify: 'jwks' },
      { scenario: 1, skip: true },
    ]) {
      const answer = await post('control/run', request)
      expect(answer.status, JSON.stringify(request)).toBe(400)
      expect(answer.body.error.code).toBe('ERR_BAD_REQUEST')
    }
  })

  it('the variants: expired is refused with exp failing; verify=jwks checks at serviceb itself', async () => {
    const expired = await run({ scenario: 1, expired: true, verify: 'jwks' })
    expect(expired.status).toBe(403)
    expect(verifySpans(expired.trace).map((s) => s.verification?.failed)).toEqual(['exp'])
    expect(expired.url).toMatch(/\?trace=1&expired=1&verify=jwks$/)
    const atFactory = await run({ scenario: 1 })
    expect(verifySpans(atFactory.trace).map((s) => s.from)).toEqual(['jwt-factory'])
  })

  it('refuses a body it does not understand, naming the field', async () => {
    const bad = await post('control/run', { scenario: 7 })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('scenario')
    const noVerify = await post('control/run', { scenario: 3, verify: 'jwks' })
    expect(noVerify.status).toBe(400)
  })
})

describe('POST /control/break', () => {
  const caught = {
    'edit-claim': 'signature',
    'alg-none': 'alg',
    'wrong-audience': 'aud',
    'wrong-key': 'key',
    'user-token': 'key',
    'replay-other-audience': 'aud',
  } as const
  for (const [attack, check] of Object.entries(caught)) {
    it(`attack: ${attack} → refused by serviceb, its checklist failing at ${check}`, async () => {
      const res = await post('control/break', { attack })
      expect(res.status).toBe(200)
      const answer = res.body
      expect(answer).toMatchObject({ attack, description: expect.any(String) })
      expect(answer.status).toBeGreaterThanOrEqual(400)
      expect(answer.status).toBeLessThan(500)
      expect(answer.token.compact).toMatch(/^[\w-]+\.[\w-]+\.[\w-]*$/)
      expect(answer.curl).toContain(`-H 'Authorization: Bearer ${answer.token.compact}'`)
      expect(answer.curl).toMatch(/"https:\/\/localhost:\d+\/scenario1-server\?verify=jwks"$/)
      const [root, ...inner] = answer.trace as Span[]
      expect(root).toMatchObject({ id: '1', from: 'user', to: 'serviceb', status: answer.status })
      const verify = inner.find((s) => s.kind === 'verify' && s.from === 'serviceb')
      expect(verify?.parent).toBe('1')
      expect(verify?.verification?.failed).toBe(check)
    })
  }

  it('edit-claim changes the claim it is given, and keeps the signature', async () => {
    const res = await post('control/break', {
      attack: 'edit-claim',
      claim: { name: 'aud', value: 'servicec' },
    })
    expect(res.body.token.claims.aud).toBe('servicec')
    expect(res.body.description).toContain('aud changed to "servicec"')
  })
})

describe('faults from the console', () => {
  it('stop serviceb → scenario 1 answers 502 naming serviceb, the others keep running; start → 200', async () => {
    const pid = cluster.supervisor.list().find((p) => p.name === 'servicea')!.pid
    expect(await post('control/processes/serviceb/stop')).toEqual({
      status: 200,
      body: { name: 'serviceb', state: 'stopped' },
    })
    await sse.until(
      () => sse.of('process', (p) => p.name === 'serviceb' && p.state === 'stopped').length > 0,
    )
    const down = await run({ scenario: 1 })
    expect(down.status).toBe(502)
    expect(down.body.error).toMatchObject({ code: 'ERR_BAD_GATEWAY', hop: 'serviceb' })
    const states = cluster.supervisor.list().map((p) => `${p.name}:${p.state}`)
    expect(states).toEqual([
      'jwt-factory:running',
      'servicea:running',
      'serviceb:stopped',
      'servicec:running',
    ])
    expect(await post('control/processes/serviceb/start')).toEqual({
      status: 200,
      body: { name: 'serviceb', state: 'running' },
    })
    expect((await run({ scenario: 1 })).status).toBe(200)
    expect(cluster.supervisor.list().find((p) => p.name === 'servicea')!.pid).toBe(pid)
  })

  it('freeze serviceb → scenario 1 answers 504 naming serviceb; thaw → 200', async () => {
    expect((await post('control/processes/serviceb/freeze')).body).toEqual({
      name: 'serviceb',
      state: 'frozen',
    })
    try {
      const frozen = await run({ scenario: 1 })
      expect(frozen.status).toBe(504)
      expect(frozen.body.error).toMatchObject({ code: 'ERR_GATEWAY_TIMEOUT', hop: 'serviceb' })
      // A frozen process is not asked for its state: it could only time out.
      expect((await getState()).verifiers.serviceb).toBeNull()
    } finally {
      expect((await post('control/processes/serviceb/thaw')).body).toEqual({
        name: 'serviceb',
        state: 'running',
      })
    }
    expect((await run({ scenario: 1 })).status).toBe(200)
  })

  it('two starts at once (a double click) launch it once, and both answer once it is healthy', async () => {
    const stopped = () => sse.of('process', (p) => p.name === 'servicec' && p.state === 'stopped')
    const stoppedBefore = stopped().length
    expect((await post('control/processes/servicec/stop')).body.state).toBe('stopped')
    await sse.until(() => stopped().length > stoppedBefore)
    const seen = sse.events.length
    const start = () => post('control/processes/servicec/start')
    const answers = await Promise.all([start(), start()])
    for (const answer of answers) {
      expect(answer).toEqual({ status: 200, body: { name: 'servicec', state: 'running' } })
    }
    const states = () =>
      sse.events
        .slice(seen)
        .filter((e) => e.event === 'process' && e.data.name === 'servicec')
        .map((e) => e.data.state)
    await sse.until(() => states().includes('running'))
    expect(states()).toEqual(['starting', 'running'])
    expect((await run({ scenario: 2 })).status).toBe(200)
  })

  it("stop jwt-factory → scenario 5's login, span 0, is the 502 naming it, and says why", async () => {
    expect((await post('control/processes/jwt-factory/stop')).body.state).toBe('stopped')
    try {
      const answer = await run({ scenario: 5 })
      expect(answer.status).toBe(502)
      expect(answer.body.error).toMatchObject({ code: 'ERR_BAD_GATEWAY', hop: 'jwt-factory' })
      expect(answer.trace).toEqual([
        expect.objectContaining({
          id: '0',
          call: 'POST /login',
          status: 502,
          result: answer.body.error.message,
        }),
      ])
    } finally {
      expect((await post('control/processes/jwt-factory/start')).body.state).toBe('running')
    }
  })

  it('answers 404 for a process or an action it does not know, 409 to freeze a stopped one', async () => {
    expect((await post('control/processes/nginx/stop')).status).toBe(404)
    expect((await post('control/processes/serviceb/restart')).status).toBe(404)
    await post('control/processes/servicec/stop')
    try {
      expect((await post('control/processes/servicec/freeze')).status).toBe(409)
    } finally {
      await post('control/processes/servicec/start')
    }
  })
})

describe('GET /control/state', () => {
  it('lists the processes with their pids and ports, the time, and what each running one says of itself', async () => {
    const before = Date.now()
    const state = await getState()
    expect(state.now).toBeGreaterThanOrEqual(before)
    expect(state.processes.map((p: any) => p.name)).toEqual([
      'jwt-factory',
      'servicea',
      'serviceb',
      'servicec',
    ])
    for (const p of state.processes) {
      expect(p.state).toBe('running')
      expect(p.pid).toBeGreaterThan(0)
      expect(p.ports).toHaveLength(2)
    }
    expect(Object.keys(state.verifiers)).toEqual(['serviceb', 'servicec'])
    // The factory's own account: servicea's keys, which one signs, and the JWKS fault.
    expect(state.factory.jwksFault).toBe('none')
    expect(state.factory.keys.servicea.filter((k: any) => k.active)).toHaveLength(1)
    // servicea's: the tokens it reuses and until when, its scenario-3 key; each verifier's key sets.
    await run({ scenario: 2, verify: 'jwks' })
    const after = await getState()
    expect(after.servicea.tokens.map((t: any) => t.aud).sort()).toEqual(['serviceb', 'servicec'])
    for (const token of after.servicea.tokens) {
      expect(token.reusedUntil).toBeLessThanOrEqual(token.expiresAt)
      expect(token).not.toHaveProperty('token')
    }
    expect(after.servicea.scenario3Key).toMatchObject({ kid: expect.any(String), alg: 'ES256' })
    for (const verifier of ['serviceb', 'servicec']) {
      const sets = after.verifiers[verifier].keySets
      const servicea = sets.find((k: any) => k.name === "servicea's keys at jwt-factory")
      expect(servicea.kids.length, verifier).toBeGreaterThan(0)
      expect(servicea.staleAt).toBeGreaterThan(servicea.fetchedAt)
    }
    // Where each key lives, never the key: no PEM, no private JWK member, no compact token.
    const text = JSON.stringify(after)
    expect(text).not.toMatch(/PRIVATE KEY|"d":|"p":|"q":|eyJ[\w-]+\.eyJ/)
  })
})

describe("servicea's key at the factory", () => {
  it('rotate makes a new active key; retire removes the old one; an unknown kid is the factory 404', async () => {
    const before = await run({ scenario: 1, fresh: true })
    const oldKid = before.trace.find((s) => s.call === 'POST /issueToken/servicea')!.token!.header
      .kid
    const rotated = await post('control/keys/servicea/rotate')
    expect(rotated.status).toBe(201)
    expect(rotated.body).toMatchObject({ keyId: 'servicea', kid: expect.any(String) })
    expect(rotated.body.kid).not.toBe(oldKid)
    const retired = await post('control/keys/servicea/retire', { kid: oldKid })
    expect(retired).toEqual({
      status: 200,
      body: { keyId: 'servicea', kid: oldKid, retired: true },
    })
    const again = await post('control/keys/servicea/retire', { kid: oldKid })
    expect(again.status).toBe(404)
    const after = await run({ scenario: 1, fresh: true })
    expect(after.status).toBe(200)
    const issued = after.trace.find((s) => s.call === 'POST /issueToken/servicea')
    expect(issued!.token!.header.kid).toBe(rotated.body.kid)
  })
})

describe("the factory's JWKS fault", () => {
  it('failing: a verifier that must fetch the JWKS answers 502 naming jwt-factory; none: 200 again', async () => {
    expect(await post('control/jwks', { fault: 'failing' })).toMatchObject({ status: 200 })
    try {
      expect((await getState()).factory.jwksFault).toBe('failing')
      // A new key: serviceb meets a kid it has not fetched, and must ask the factory's JWKS.
      expect((await post('control/keys/servicea/rotate')).status).toBe(201)
      const failing = await run({ scenario: 1, verify: 'jwks', fresh: true })
      expect(failing.status).toBe(502)
      expect(failing.body.error).toMatchObject({ hop: 'jwt-factory' })
    } finally {
      expect(await post('control/jwks', { fault: 'none' })).toMatchObject({ status: 200 })
    }
    expect((await run({ scenario: 1, verify: 'jwks' })).status).toBe(200)
  })

  it('refuses a fault it does not know', async () => {
    expect((await post('control/jwks', { fault: 'broken' })).status).toBe(400)
  })
})
