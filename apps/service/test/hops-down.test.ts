import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Cluster, freePorts, getJson } from './cluster.ts'

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

describe('a hop that is down or silent', () => {
  it('fault: servicec stopped during scenario 2 → 502 naming servicec, serviceb still answered, works again without a restart', async () => {
    cluster = await Cluster.start()
    const pid = cluster.pidOf('servicea')
    await cluster.stopProcess('servicec')
    const down = await getJson(`${cluster.urls.servicea}/scenario2`)
    expect(down.status).toBe(502)
    expect(down.body.serviceb.valid).toBe(true)
    expect(down.body.servicec.error).toMatchObject({
      name: 'BadGatewayError',
      code: 'ERR_BAD_GATEWAY',
      hop: 'servicec',
    })
    expect(down.body.servicec.error.message).toMatch(/^servicec is unreachable/)
    expect((await getJson(`${cluster.urls.servicea}/scenario1`)).status).toBe(200)
    await cluster.startProcess('servicec')
    expect((await getJson(`${cluster.urls.servicea}/scenario2`)).status).toBe(200)
    expect(cluster.pidOf('servicea')).toBe(pid)
    expect(cluster.logsOf('servicea').some((l) => /unhandled/i.test(l))).toBe(false)
  })

  it('fault: jwt-factory stopped → scenario 1 502 naming jwt-factory, scenario 3 unaffected, keys survive its restart', async () => {
    cluster = await Cluster.start()
    await cluster.stopProcess('jwt-factory')
    const down = await getJson(`${cluster.urls.servicea}/scenario1`)
    expect(down.status).toBe(502)
    expect(down.body.error).toMatchObject({ name: 'BadGatewayError', hop: 'jwt-factory' })
    expect((await getJson(`${cluster.urls.servicea}/scenario3`)).status).toBe(200)
    expect((await getJson(`${cluster.urls.servicea}/healthz`)).body).toEqual({
      status: 'ok',
      service: 'servicea',
    })
    await cluster.startProcess('jwt-factory')
    const back = await getJson(`${cluster.urls.servicea}/scenario1`)
    expect(back.status).toBe(200)
    expect(back.body.valid).toBe(true)
  })

  describe('a hop that accepts the connection and never answers', () => {
    let silent: Server
    const sockets: Socket[] = []
    afterAll(async () => {
      sockets.forEach((s) => s.destroy())
      await new Promise((r) => silent?.close(r))
    })

    it('fault: a hop that accepts the connection and never answers → 504 naming it within HOP_TIMEOUT_MS', async () => {
      const [port] = (await freePorts(1)) as [number]
      silent = createServer((socket) => sockets.push(socket)).listen(port, '127.0.0.1')
      const hopTimeoutMs = 800
      cluster = await Cluster.start({
        hopTimeoutMs,
        env: { servicea: { SERVICEC_URL: `https://localhost:${port}` } },
      })
      const started = Date.now()
      const res = await getJson(`${cluster.urls.servicea}/scenario2`)
      const elapsed = Date.now() - started
      expect(res.status).toBe(504)
      expect(res.body.serviceb.valid).toBe(true)
      expect(res.body.servicec.error).toMatchObject({
        name: 'GatewayTimeoutError',
        code: 'ERR_GATEWAY_TIMEOUT',
        hop: 'servicec',
      })
      // It waited out the configured limit; that it did not hang is the test timeout's to say.
      expect(elapsed).toBeGreaterThanOrEqual(hopTimeoutMs - 50)
      expect(sockets.length).toBeGreaterThan(0)
      expect((await getJson(`${cluster.urls.servicea}/scenario1`)).status).toBe(200)
    })
  })
})
