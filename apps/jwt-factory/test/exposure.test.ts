import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import {
  createCertificateAuthority,
  ensureCertificates,
  issueClientCertificate,
  loadClientCertificate,
  loadTlsFiles,
  type CertificateAndKey,
} from '@jwt-factory/tls'
import {
  call,
  cleanUp,
  eventually,
  freePort,
  makeTempDir,
  postJson,
  runFactoryToExit,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'

/**
 * The factory bound to 0.0.0.0 as a real process, with the project's certificates made by
 * ensureCertificates (as `npm run certs` makes them). Every request goes to 127.0.0.1; "another
 * machine" is a socket bound to this machine's non-loopback address, so the factory sees a peer
 * beyond loopback without any packet leaving the host.
 */
const ADMIN_TOKEN = randomBytes(32).toString('base64url')
let certsDir: string
let caPem: string
let factory: FactoryProcess
let httpsPort: number
let httpsUrl: string
const clients: HttpClient[] = []

/** The project's HTTPS client, presenting `cert` (or none). */
function httpsClient(cert?: CertificateAndKey): HttpClient {
  const client = createHttpClient({ caPem, timeoutMs: 5000, ...(cert ? { clientCert: cert } : {}) })
  clients.push(client)
  return client
}

async function clientCert(name: string): Promise<CertificateAndKey> {
  const cert = await loadClientCertificate(certsDir, name)
  if (!cert) throw new Error(`no client certificate for ${name}`)
  return cert
}

const issue = (client: HttpClient, keyId: string, body: unknown = { aud: 'serviceb' }) =>
  client.requestJson('jwt-factory', `${httpsUrl}/issueToken/${keyId}`, { body })

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** Log lines are written asynchronously: a marker request's line shows every earlier one is in. */
async function logsCaughtUp(): Promise<void> {
  const rid = randomBytes(8).toString('hex')
  await call(`${factory.url}/healthz`, { headers: { 'x-request-id': rid } })
  await eventually(() => factory.logEntries().some((e) => e.rid === rid))
}

/** This machine's first non-loopback IPv4 address, if it has one. */
const otherAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address

/** A plain-HTTP request to 127.0.0.1 whose socket is bound to `localAddress`. */
function httpFrom(
  localAddress: string,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: factory.port, path, method, localAddress, headers, timeout: 5000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      },
    )
    req.on('error', reject)
    req.end(method === 'POST' ? '{}' : undefined)
  })
}

beforeAll(async () => {
  certsDir = join(await makeTempDir('jwt-factory-exposed-'), 'certs')
  await ensureCertificates(certsDir)
  caPem = (await loadTlsFiles(certsDir)).caPem
  httpsPort = await freePort()
  httpsUrl = `https://127.0.0.1:${httpsPort}`
  factory = await startFactory({
    env: { HOST: '0.0.0.0', CERTS_DIR: certsDir, HTTPS_PORT: String(httpsPort), ADMIN_TOKEN },
  })
})

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await cleanUp()
})

describe('a factory bound beyond loopback refuses to start without an admin credential', () => {
  it('attack: a factory bound to 0.0.0.0 without ADMIN_TOKEN → exit 1 naming ADMIN_TOKEN and ADMIN_TOKEN_FILE', async () => {
    const run = await runFactoryToExit({ env: { HOST: '0.0.0.0', CERTS_DIR: certsDir } })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('ADMIN_TOKEN: required: HOST 0.0.0.0 is beyond loopback')
    expect(run.stderr).toContain('ADMIN_TOKEN_FILE')
  })

  it('a short ADMIN_TOKEN: exit 1 naming it, the value never echoed', async () => {
    const run = await runFactoryToExit({
      env: { HOST: '0.0.0.0', CERTS_DIR: certsDir, ADMIN_TOKEN: 'tooshort-but-secret' },
    })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('ADMIN_TOKEN: must be at least 32 characters')
    expect(run.stderr + run.stdout).not.toContain('tooshort-but-secret')
  })

  it('without the certificates: exit 1 naming CERTS_DIR (no plain-HTTP-only factory on the network)', async () => {
    const run = await runFactoryToExit({ env: { HOST: '0.0.0.0', ADMIN_TOKEN } })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(
      /CERTS_DIR: HOST 0\.0\.0\.0 is beyond loopback, so HTTPS with client certificates is required/,
    )
  })

  it('ADMIN_TOKEN_FILE: a good file starts it and its token works; a bad one is named, its content not echoed', async () => {
    const dir = await makeTempDir('jwt-factory-admin-file-')
    const file = join(dir, 'admin-token')
    const token = randomBytes(32).toString('hex')
    await writeFile(file, `${token}\n`)
    await chmod(file, 0o600)
    const fromFile = await startFactory({
      env: { HOST: '0.0.0.0', CERTS_DIR: certsDir, ADMIN_TOKEN_FILE: file },
    })
    expect((await call(`${fromFile.url}/keys/servicea`)).status).toBe(401)
    expect(
      (
        await call(`${fromFile.url}/keys/servicea`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(201)
    await fromFile.stop()
    await writeFile(file, 'short-file-secret\n')
    const bad = await runFactoryToExit({
      env: { HOST: '0.0.0.0', CERTS_DIR: certsDir, ADMIN_TOKEN_FILE: file },
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain(`ADMIN_TOKEN_FILE: ${file} holds no valid admin token`)
    expect(bad.stderr).not.toContain('short-file-secret')
  })
})

describe('key management on an exposed factory needs the admin credential', () => {
  it('attack: key management on an exposed factory without the admin token → 401 UnauthorizedError', async () => {
    const missing = await call(`${factory.url}/keys/servicea`)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="jwt-factory admin"')
    const wrong = await call(`${factory.url}/keys/servicea`, {
      headers: { authorization: `Bearer ${'x'.repeat(43)}` },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect((await call(`${factory.url}/utils/keys`)).json).toEqual([])
    expect((await call(`${factory.url}/keys/servicea`, { headers: admin })).status).toBe(201)
    expect((await call(`${factory.url}/keys/serviceb`, { headers: admin })).status).toBe(201)
    expect((await call(`${factory.url}/keys/servicea`, { headers: admin })).status).toBe(200)
  })

  it('POST/DELETE /keys and /dump: 401 without, 2xx with', async () => {
    expect((await call(`${factory.url}/keys/servicec`, { method: 'POST' })).status).toBe(401)
    expect(
      (await call(`${factory.url}/keys/servicec`, { method: 'POST', headers: admin })).status,
    ).toBe(201)
    expect((await call(`${factory.url}/keys/servicec`, { method: 'DELETE' })).status).toBe(401)
    expect(
      (await call(`${factory.url}/keys/servicec`, { method: 'DELETE', headers: admin })).status,
    ).toBe(200)
    for (const path of ['/dump', '/utils/dump']) {
      expect((await call(`${factory.url}${path}`, { method: 'POST' })).status, path).toBe(401)
      expect(
        (await call(`${factory.url}${path}`, { method: 'POST', headers: admin })).status,
        path,
      ).toBe(200)
    }
  })

  it('over HTTPS too (any client certificate of the CA, plus the token)', async () => {
    const client = httpsClient(await clientCert('serviceb'))
    const without = await client.requestJson('jwt-factory', `${httpsUrl}/keys/servicea`)
    expect(without.status).toBe(401)
    const withToken = await client.requestJson('jwt-factory', `${httpsUrl}/keys/servicea`, {
      headers: admin,
    })
    expect(withToken.status).toBe(200)
  })
})

describe('issuing on an exposed factory needs mutual TLS as that service', () => {
  it("servicea's client certificate → 200, a token with sub servicea that verifies", async () => {
    const res = await issue(httpsClient(await clientCert('servicea')), 'servicea')
    expect(res.status).toBe(200)
    const token = (res.body as { access_token: string }).access_token
    const verified = await postJson(`${factory.url}/verify/servicea`, {
      token,
      aud: 'serviceb',
      sub: 'servicea',
    })
    expect(verified.status).toBe(200)
    expect(verified.json).toMatchObject({
      valid: true,
      claims: { sub: 'servicea', aud: 'serviceb' },
    })
    expect(
      factory
        .logEntries()
        .some(
          (e) => e.path === '/issueToken/servicea' && e.status === 200 && e.client === 'servicea',
        ),
    ).toBe(true)
  })

  it("attack: serviceb's client certificate asking for servicea's token → 403 ForbiddenError", async () => {
    const res = await issue(httpsClient(await clientCert('serviceb')), 'servicea')
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({
      error: {
        name: 'ForbiddenError',
        message:
          'the client certificate names serviceb, not servicea: a service gets tokens for its own keyId only',
      },
    })
  })

  it('attack: issuing without a client certificate → refused at the TLS handshake', async () => {
    const issueLines = () =>
      factory.logEntries().filter((e) => e.path === '/issueToken/servicea').length
    await logsCaughtUp()
    const before = issueLines()
    await expect(issue(httpsClient(), 'servicea')).rejects.toMatchObject({
      name: 'BadGatewayError',
    })
    await logsCaughtUp()
    expect(issueLines()).toBe(before)
    expect(
      factory.logEntries().some((e) => String(e.msg).startsWith('TLS handshake refused')),
    ).toBe(true)
  })

  it('attack: a certificate named servicea from another CA → refused at the TLS handshake', async () => {
    const foreignCa = await createCertificateAuthority({ commonName: 'jwt-factory local CA' })
    const forged = await issueClientCertificate(foreignCa, { commonName: 'servicea' })
    await expect(issue(httpsClient(forged), 'servicea')).rejects.toMatchObject({
      name: 'BadGatewayError',
    })
  })

  it('attack: issuing over plain HTTP on an exposed factory → 403 ForbiddenError', async () => {
    const res = await postJson(`${factory.url}/issueToken/servicea`, { aud: 'serviceb' }, admin)
    expect(res.status).toBe(403)
    expect((res.json as { error: { message: string } }).error.message).toMatch(
      /issuing servicea's tokens needs mutual TLS/,
    )
  })

  it('attack: an exposed factory asked for another sub or iss in the body → 403 ForbiddenError', async () => {
    const client = httpsClient(await clientCert('servicea'))
    expect((await issue(client, 'servicea', { aud: 'serviceb', sub: 'serviceb' })).status).toBe(403)
    expect(
      (await issue(client, 'servicea', { aud: 'serviceb', iss: 'https://elsewhere/' })).status,
    ).toBe(403)
    expect((await issue(client, 'servicea', { aud: 'serviceb', sub: 'servicea' })).status).toBe(200)
  })

  it('attack: the server certificate presented as a service identity → 403 ForbiddenError', async () => {
    expect((await call(`${factory.url}/keys/localhost`, { headers: admin })).status).toBe(201)
    const server = {
      certPem: await readFile(join(certsDir, 'server.pem'), 'utf8'),
      keyPem: await readFile(join(certsDir, 'server-key.pem'), 'utf8'),
    }
    const res = await issue(httpsClient(server), 'localhost')
    expect(res.status).toBe(403)
    expect((res.body as { error: { message: string } }).error.message).toMatch(
      /^a server certificate \(CN localhost\) is not a service's identity/,
    )
  })
})

describe('what plain HTTP serves to another machine', () => {
  it('attack: secret endpoints over plain HTTP from another machine → 403 ForbiddenError', async ({
    skip,
  }) => {
    if (!otherAddress)
      skip('this machine has no non-loopback IPv4 address to be "another machine" from')
    const from = otherAddress!
    for (const path of [
      '/healthz',
      '/.well-known/jwks.json',
      '/.well-known/openid-configuration',
      '/jwks/servicea',
      '/utils/keys',
      '/utils/publicKey/servicea',
    ]) {
      expect((await httpFrom(from, path)).status, path).toBe(200)
    }
    const keys = await httpFrom(from, '/keys/servicea', 'GET', admin)
    expect(keys.status).toBe(403)
    expect(keys.body).toContain('served over HTTPS only')
    for (const path of ['/verify/servicea', '/login', '/totp/validate', '/auth', '/dump']) {
      expect(
        (await httpFrom(from, path, 'POST', { 'content-type': 'application/json' })).status,
        path,
      ).toBe(403)
    }
    expect(
      (await httpFrom(from, '/issueToken/servicea', 'POST', { 'content-type': 'application/json' }))
        .status,
    ).toBe(403)
  })

  it('from this machine, verifying and logging in work over plain HTTP as on loopback', async () => {
    const res = await postJson(`${factory.url}/verify/servicea`, {
      token: 'x.y.z',
      aud: 'serviceb',
      sub: 'servicea',
    })
    expect(res.status).toBe(403) // refused as a bad token, not for the transport
    expect((res.json as { valid: boolean }).valid).toBe(false)
    expect((await call(`${factory.url}/login`, { method: 'POST' })).status).toBe(401)
  })

  it('never logs the admin token', () => {
    expect(factory.stdout() + factory.stderr()).not.toContain(ADMIN_TOKEN)
  })
})
