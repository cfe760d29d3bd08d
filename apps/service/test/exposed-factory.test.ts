import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster, getJson } from './cluster.ts'

/**
 * The whole cluster with the factory bound to 0.0.0.0 (tests still send only to 127.0.0.1): the
 * factory asks every HTTPS caller for a client certificate, and issues servicea's tokens only to
 * the caller whose certificate names servicea. The services present the certificates `npm run
 * certs` made for them, so the scenarios run as on loopback.
 */
const ADMIN_TOKEN = randomBytes(32).toString('base64url')
let cluster: Cluster
beforeAll(async () => {
  cluster = await Cluster.start({ env: { 'jwt-factory': { HOST: '0.0.0.0', ADMIN_TOKEN } } })
})
afterAll(() => cluster?.stop())

const a = (path: string) => getJson(`${cluster.urls.servicea}${path}`)

describe('scenarios 1-4 with the factory exposed beyond loopback', () => {
  it('the factory is exposed: key management wants the admin token', async () => {
    expect((await getJson(`${cluster.urls['jwt-factory']}/keys/servicea`)).status).toBe(401)
    expect(
      cluster.logsOf('jwt-factory').some((l) => l.includes('listens beyond loopback (0.0.0.0)')),
    ).toBe(true)
  })

  it.each([
    '/scenario1',
    '/scenario1?fresh=1',
    '/scenario2',
    '/scenario2?verify=jwks',
    '/scenario3',
    '/scenario4',
  ])('%s → 200', async (path) => {
    const res = await a(path)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })

  it.each([
    '/scenario1?expired=1',
    '/scenario2?expired=1',
    '/scenario3?expired=1',
    '/scenario4?expired=1',
  ])('%s → 403 (expired, as on loopback)', async (path) => {
    expect((await a(path)).status).toBe(403)
  })

  it('servicea got its tokens over mutual TLS, as servicea', () => {
    const issued = cluster
      .logsOf('jwt-factory')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.path === '/issueToken/servicea')
    expect(issued.length).toBeGreaterThan(0)
    expect(issued.every((e) => e.status === 200 && e.client === 'servicea')).toBe(true)
  })
})
