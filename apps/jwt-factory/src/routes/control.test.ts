import { afterEach, describe, expect, it, vi } from 'vitest'
import { listen } from '@jwt-factory/server'
import { nonLoopbackAddress, requestFrom } from '@jwt-factory/server/testing'
import { JwksFault } from '../keys/jwks-fault.ts'
import { createTestFactory } from '../test-support.ts'

/**
 * The factory served on 127.0.0.1 over a real socket: the control endpoints decide by the
 * socket's peer address, which app.request() does not have. A delay far beyond any test's
 * length shows an answer was held; the tests release it instead of waiting it out.
 */
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

async function servedFactory(env: Record<string, string> = {}, delayMs = 600_000) {
  const jwksFault = new JwksFault(delayMs)
  const factory = await createTestFactory(env, undefined, { jwksFault })
  const server = await listen({
    name: 'jwt-factory http',
    fetch: factory.app.fetch,
    hostname: '127.0.0.1',
    port: 0,
  })
  cleanups.push(async () => {
    jwksFault.close()
    await server.close(100)
    await factory.cleanup()
  })
  const send = (path: string, options: { method?: string; body?: unknown; type?: string } = {}) =>
    requestFrom({
      port: server.port,
      path,
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': options.type ?? 'application/json' },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    })
  return { ...factory, jwksFault, server, send }
}

const JWKS_PATHS = ['/.well-known/jwks.json', '/jwks/servicea', '/jwks/users']

describe('GET /control/state', () => {
  it("lists each keyId's keys, which one is active, and the JWKS fault; never a private key", async () => {
    const { send, userKeys } = await servedFactory()
    const first = (await send('/keys/servicea')).body as { kid: string }
    const rotated = (await send('/keys/servicea', { method: 'POST' })).body as { kid: string }
    const userKey = await userKeys.signingKey()
    const res = await send('/control/state')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      keys: {
        servicea: [
          { kid: first.kid, alg: 'ES256', active: false },
          { kid: rotated.kid, alg: 'ES256', active: true },
        ],
        users: [{ kid: userKey.kid, alg: 'ES256', active: true }],
      },
      jwksFault: 'none',
    })
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE|"d"|publicKey/)
  })

  it('refuses a caller beyond loopback with a 403, and so does POST /control/jwks-fault', async ({
    skip,
  }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    const { server, jwksFault } = await servedFactory()
    const from = (path: string, method = 'GET', body?: string) =>
      requestFrom({
        port: server.port,
        path,
        method,
        localAddress: other!,
        headers: { 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      })
    expect((await from('/control/state')).status).toBe(403)
    const post = await from('/control/jwks-fault', 'POST', '{"fault":"failing"}')
    expect(post.status).toBe(403)
    expect(post.body).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } })
    expect(jwksFault.mode).toBe('none')
    // The public endpoints stay open to it.
    expect((await from('/.well-known/jwks.json')).status).toBe(200)
  })

  it('a factory that listens beyond loopback refuses the control endpoints even from this machine', async () => {
    const { send, jwksFault } = await servedFactory({
      HOST: '0.0.0.0',
      ADMIN_TOKEN: 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy',
      PUBLIC_URL: 'https://jwt-factory.example:5443',
    })
    for (const res of [
      await send('/control/state'),
      await send('/control/jwks-fault', { body: { fault: 'failing' } }),
    ]) {
      expect(res.status).toBe(403)
      expect((res.body as { error: { message: string } }).error.message).toMatch(
        /^this factory listens beyond loopback: .* served only by a factory on loopback$/,
      )
    }
    expect(jwksFault.mode).toBe('none')
    expect((await send('/.well-known/jwks.json')).status).toBe(200)
  })
})

describe('POST /control/jwks-fault', () => {
  it('takes JSON only, one of none, slow or failing; anything else changes nothing', async () => {
    const { send, jwksFault } = await servedFactory()
    // Forms and text/plain are what another page in the browser can post without a preflight.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      const res = await send('/control/jwks-fault', { body: { fault: 'failing' }, type })
      expect(res.status, `content-type ${JSON.stringify(type)}`).toBe(415)
    }
    const wrong = await send('/control/jwks-fault', { body: { fault: 'broken' } })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toMatchObject({
      error: { message: 'fault must be one of none, slow, failing' },
    })
    expect(jwksFault.mode).toBe('none')
    const set = await send('/control/jwks-fault', { body: { fault: 'slow' } })
    expect(set).toMatchObject({ status: 200, body: { jwksFault: 'slow', delayMs: 600_000 } })
    expect((await send('/control/state')).body).toMatchObject({ jwksFault: 'slow' })
  })

  it('failing: every JWKS endpoint answers 503 JSON until the fault is lifted', async () => {
    const { send, userKeys } = await servedFactory()
    await send('/keys/servicea')
    await userKeys.signingKey()
    await send('/control/jwks-fault', { body: { fault: 'failing' } })
    for (const path of JWKS_PATHS) {
      const res = await send(path)
      expect(res.status, path).toBe(503)
      expect(res.body, path).toMatchObject({
        error: { code: 'ERR_UNAVAILABLE', message: expect.stringMatching(/failing on purpose/) },
      })
    }
    expect((await send('/healthz')).status).toBe(200)
    expect((await send('/.well-known/openid-configuration')).status).toBe(200)
    await send('/control/jwks-fault', { body: { fault: 'none' } })
    for (const path of JWKS_PATHS) expect((await send(path)).status, path).toBe(200)
  })

  it('slow: every JWKS answer is held; lifting the fault lets them out with the key set', async () => {
    const { send, jwksFault, userKeys } = await servedFactory()
    await send('/keys/servicea')
    await userKeys.signingKey()
    await send('/control/jwks-fault', { body: { fault: 'slow' } })
    const answers = Promise.all(JWKS_PATHS.map((path) => send(path)))
    await vi.waitFor(() => expect(jwksFault.held).toBe(JWKS_PATHS.length))
    expect((await send('/healthz')).status).toBe(200) // nothing else waits
    await send('/control/jwks-fault', { body: { fault: 'none' } })
    const sets = (await answers).map((res) => [res.status, (res.body as { keys: [] }).keys.length])
    expect(sets).toEqual([
      [200, 1], // servicea's key: the user key is in /jwks/users alone
      [200, 1],
      [200, 1],
    ])
    expect(jwksFault.held).toBe(0)
  })

  it('slow, then failing: the answers held so far fail too', async () => {
    const { send, jwksFault } = await servedFactory()
    await send('/control/jwks-fault', { body: { fault: 'slow' } })
    const held = send('/.well-known/jwks.json')
    await vi.waitFor(() => expect(jwksFault.held).toBe(1))
    await send('/control/jwks-fault', { body: { fault: 'failing' } })
    expect((await held).status).toBe(503)
  })

  it('slow: an answer goes out once the delay has passed', async () => {
    const { send } = await servedFactory({}, 150)
    await send('/control/jwks-fault', { body: { fault: 'slow' } })
    const started = performance.now()
    const res = await send('/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('a held answer is a timer, released when its caller gives up or the factory stops', async () => {
    const { server, jwksFault } = await servedFactory()
    jwksFault.set('slow')
    const caller = new AbortController()
    const gaveUp = fetch(`${server.url}/.well-known/jwks.json`, { signal: caller.signal })
    await vi.waitFor(() => expect(jwksFault.held).toBe(1))
    caller.abort()
    await expect(gaveUp).rejects.toThrow()
    await vi.waitFor(() => expect(jwksFault.held).toBe(0))
    // At shutdown main.ts calls close(): what is still held answers now, not in ten minutes.
    const waiting = fetch(`${server.url}/.well-known/jwks.json`)
    await vi.waitFor(() => expect(jwksFault.held).toBe(1))
    jwksFault.close()
    expect((await waiting).status).toBe(200)
    expect(jwksFault.mode).toBe('none')
  })
})

describe("a request's own JWKS fault (x-fault, from ?fault=jwks:… on a scenario)", () => {
  it('fails or holds that request alone, and only from this machine', async ({ skip }) => {
    const { server, jwksFault, send } = await servedFactory()
    const withFault = (fault: string, localAddress?: string) =>
      requestFrom({
        port: server.port,
        path: '/.well-known/jwks.json',
        headers: { 'x-fault': fault },
        ...(localAddress ? { localAddress } : {}),
      })
    expect((await withFault('jwks:failing')).status).toBe(503)
    expect((await send('/.well-known/jwks.json')).status).toBe(200)
    const held = withFault('jwks:slow')
    await vi.waitFor(() => expect(jwksFault.held).toBe(1))
    expect(jwksFault.mode).toBe('none')
    jwksFault.close()
    expect((await held).status).toBe(200)
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    expect((await withFault('jwks:failing', other)).status).toBe(200)
  })
})

describe('GET /', () => {
  it('says who answers, where the console is and what to try, with ?pretty as everywhere', async () => {
    const { send } = await servedFactory()
    const res = await send('/')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      name: 'jwt-factory',
      console: expect.stringMatching(/^http:\/\/localhost:4000\/ /),
      try: expect.objectContaining({ 'GET /.well-known/jwks.json': expect.any(String) }),
    })
    const pretty = await fetch(`http://127.0.0.1:${(await servedFactory()).server.port}/?pretty`)
    expect(await pretty.text()).toMatch(/^\{\n {2}"name": "jwt-factory",\n/)
  })
})
