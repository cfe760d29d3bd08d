import { createPrivateKey, X509Certificate } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCertificateAuthority } from './certificate-authority.ts'
import { issueClientCertificate } from './client-certificate.ts'
import type { CertificatePaths } from './certificate-files.ts'
import { ensureCertificates } from './ensure-certificates.ts'
import { issueServerCertificate } from './server-certificate.ts'

let root: string
let dir: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tls-ensure-'))
  dir = join(root, 'certs')
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function readSet(paths: CertificatePaths) {
  const [ca, caKey, server, serverKey] = await Promise.all(
    [paths.ca, paths.caKey, paths.server, paths.serverKey].map((path) => readFile(path, 'utf8')),
  )
  return { ca: ca!, caKey: caKey!, server: server!, serverKey: serverKey! }
}

/** The set is coherent: server signed by this CA, both keys belong to their certificates. */
function expectCoherent(set: Awaited<ReturnType<typeof readSet>>): void {
  const ca = new X509Certificate(set.ca)
  const server = new X509Certificate(set.server)
  expect(ca.checkPrivateKey(createPrivateKey(set.caKey))).toBe(true)
  expect(server.checkIssued(ca)).toBe(true)
  expect(server.verify(ca.publicKey)).toBe(true)
  expect(server.checkPrivateKey(createPrivateKey(set.serverKey))).toBe(true)
}

const mode = async (path: string) => (await stat(path)).mode & 0o777

/**
 * Makes a new set, then has its CA reissue the server certificate for `validityDays`: the
 * certificate's remaining lifetime is all that differs from a fresh set. Returns the CA's PEM
 * too, to tell afterwards whether the whole set was replaced.
 */
async function setWithServerValidFor(validityDays: number) {
  const { paths } = await ensureCertificates(dir)
  const set = await readSet(paths)
  const reissued = await issueServerCertificate(
    { certPem: set.ca, keyPem: set.caKey },
    { validityDays },
  )
  await writeFile(paths.server, reissued.certPem)
  await writeFile(paths.serverKey, reissued.keyPem)
  return { paths, caPem: set.ca }
}

describe('ensureCertificates', () => {
  it('creates a coherent set with private keys 0600, certificates 0644, folder 0700', async () => {
    const result = await ensureCertificates(dir)
    expect(result.created).toBe(true)
    expect(result.paths).toEqual({
      ca: join(dir, 'ca.pem'),
      caKey: join(dir, 'ca-key.pem'),
      server: join(dir, 'server.pem'),
      serverKey: join(dir, 'server-key.pem'),
    })
    expect(await mode(result.paths.caKey)).toBe(0o600)
    expect(await mode(result.paths.serverKey)).toBe(0o600)
    expect(await mode(result.paths.ca)).toBe(0o644)
    expect(await mode(result.paths.server)).toBe(0o644)
    expect(await mode(dir)).toBe(0o700)
    const set = await readSet(result.paths)
    expectCoherent(set)
    const server = new X509Certificate(set.server)
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.checkIP('::1')).toBe('::1')
  })

  it('keeps a usable set untouched', async () => {
    const first = await ensureCertificates(dir)
    const before = await readSet(first.paths)
    const second = await ensureCertificates(dir)
    expect(second.created).toBe(false)
    expect(second.reason).toBeUndefined()
    expect(await readSet(second.paths)).toEqual(before)
  })

  it('narrows a 0755 folder (git makes certs/ through .gitkeep) to 0700 when it writes into it', async () => {
    await mkdir(dir)
    await chmod(dir, 0o755)
    await writeFile(join(dir, '.gitkeep'), '')
    await ensureCertificates(dir)
    expect(await mode(dir)).toBe(0o700)
  })

  it('narrows the folder when only a client certificate is added to a kept set', async () => {
    const first = await ensureCertificates(dir)
    await chmod(dir, 0o755)
    await rm(first.clients.servicec!.key)
    const again = await ensureCertificates(dir)
    expect(again).toMatchObject({ created: false, clientsCreated: ['servicec'] })
    expect(await mode(dir)).toBe(0o700)
  })

  it('replaces everything when forced', async () => {
    const first = await ensureCertificates(dir)
    const before = await readSet(first.paths)
    const forced = await ensureCertificates(dir, { force: true })
    expect(forced.created).toBe(true)
    const after = await readSet(forced.paths)
    expect(after.ca).not.toBe(before.ca)
    expect(after.caKey).not.toBe(before.caKey)
    expect(after.server).not.toBe(before.server)
    expect(after.serverKey).not.toBe(before.serverKey)
    expectCoherent(after)
  })

  it('replaces a server certificate issued by a foreign CA', async () => {
    const { paths } = await ensureCertificates(dir)
    const foreignCa = await createCertificateAuthority({ commonName: 'jwt-factory local CA' })
    const foreign = await issueServerCertificate(foreignCa)
    await writeFile(paths.server, foreign.certPem)
    await writeFile(paths.serverKey, foreign.keyPem)
    const result = await ensureCertificates(dir)
    expect(result.created).toBe(true)
    expect(result.reason).toBe('server.pem was not signed by ca.pem')
    const set = await readSet(paths)
    expect(set.server).not.toBe(foreign.certPem)
    expectCoherent(set)
  })

  it('replaces a tampered server certificate', async () => {
    const { paths } = await ensureCertificates(dir)
    const pem = await readFile(paths.server, 'utf8')
    // Flip one character in the base64 body: still PEM, no longer the certificate the CA signed.
    const lines = pem.split('\n')
    const line = lines[3]!
    lines[3] = line.slice(0, 10) + (line[10] === 'A' ? 'B' : 'A') + line.slice(11)
    await writeFile(paths.server, lines.join('\n'))
    const result = await ensureCertificates(dir)
    expect(result.created).toBe(true)
    expectCoherent(await readSet(paths))
  })

  it('replaces a server certificate that expires within 7 days', async () => {
    const { paths, caPem } = await setWithServerValidFor(3)
    const result = await ensureCertificates(dir)
    expect(result.created).toBe(true)
    expect(result.reason).toMatch(/^server\.pem expires within 7 days/)
    const after = await readSet(paths)
    expect(after.ca).not.toBe(caPem)
    expectCoherent(after)
  })

  it('keeps a set whose server certificate has more than 7 days left', async () => {
    await setWithServerValidFor(8)
    expect((await ensureCertificates(dir)).created).toBe(false)
  })

  it('replaces a server key that does not belong to the certificate', async () => {
    const { paths } = await ensureCertificates(dir)
    await writeFile(paths.serverKey, await readFile(paths.caKey, 'utf8'))
    const result = await ensureCertificates(dir)
    expect(result.reason).toBe('server-key.pem does not belong to server.pem')
    expectCoherent(await readSet(paths))
  })

  it('recreates all files when one is missing', async () => {
    const { paths } = await ensureCertificates(dir)
    const before = await readSet(paths)
    await rm(paths.caKey)
    const result = await ensureCertificates(dir)
    expect(result.created).toBe(true)
    expect(result.reason).toBe(`${paths.caKey} is missing`)
    const after = await readSet(paths)
    expect(after.ca).not.toBe(before.ca)
    expectCoherent(after)
  })

  it('serializes concurrent calls so the files on disk always form one set', async () => {
    const results = await Promise.all([
      ensureCertificates(dir),
      ensureCertificates(dir, { force: true }),
      ensureCertificates(join(dir, '.')),
      ensureCertificates(dir, { force: true }),
      ensureCertificates(dir),
    ])
    // The first creates, the forced ones recreate, the others find a usable set.
    expect(results.map((r) => r.created)).toEqual([true, true, false, true, false])
    expectCoherent(await readSet(results[0]!.paths))
  })

  it('writes a client certificate per service: CN = the name, client auth only, key 0600', async () => {
    const result = await ensureCertificates(dir)
    expect(result.clientsCreated).toEqual(['servicea', 'serviceb', 'servicec'])
    const ca = new X509Certificate(await readFile(result.paths.ca, 'utf8'))
    for (const name of ['servicea', 'serviceb', 'servicec']) {
      const paths = result.clients[name]!
      expect(paths).toEqual({ cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) })
      expect(await mode(paths.key)).toBe(0o600)
      expect(await mode(paths.cert)).toBe(0o644)
      const cert = new X509Certificate(await readFile(paths.cert, 'utf8'))
      expect(cert.subject).toBe(`CN=${name}`)
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2'])
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true)
      expect(cert.checkPrivateKey(createPrivateKey(await readFile(paths.key, 'utf8')))).toBe(true)
    }
  })

  it('keeps usable client certificates; adds a missing one to an existing set without a new CA', async () => {
    const first = await ensureCertificates(dir)
    const before = await readFile(first.clients.serviceb!.cert, 'utf8')
    expect((await ensureCertificates(dir)).clientsCreated).toEqual([])
    // A certificates folder made before client certificates existed.
    await rm(first.clients.servicea!.cert)
    await rm(first.clients.servicea!.key)
    const ca = await readFile(first.paths.ca, 'utf8')
    const again = await ensureCertificates(dir)
    expect(again).toMatchObject({ created: false, clientsCreated: ['servicea'] })
    expect(await readFile(first.paths.ca, 'utf8')).toBe(ca)
    expect(await readFile(first.clients.serviceb!.cert, 'utf8')).toBe(before)
  })

  it('replaces a client certificate of another CA or another name, and all of them with a new CA', async () => {
    const first = await ensureCertificates(dir)
    const foreignCa = await createCertificateAuthority({ commonName: 'jwt-factory local CA' })
    const foreign = await issueClientCertificate(foreignCa, { commonName: 'servicea' })
    await writeFile(first.clients.servicea!.cert, foreign.certPem)
    await writeFile(first.clients.servicea!.key, foreign.keyPem)
    await writeFile(
      first.clients.serviceb!.cert,
      await readFile(first.clients.servicec!.cert, 'utf8'),
    )
    await writeFile(
      first.clients.serviceb!.key,
      await readFile(first.clients.servicec!.key, 'utf8'),
    )
    expect((await ensureCertificates(dir)).clientsCreated).toEqual(['servicea', 'serviceb'])
    const forced = await ensureCertificates(dir, { force: true })
    expect(forced.clientsCreated).toEqual(['servicea', 'serviceb', 'servicec'])
    const ca = new X509Certificate(await readFile(forced.paths.ca, 'utf8'))
    const servicec = new X509Certificate(await readFile(forced.clients.servicec!.cert, 'utf8'))
    expect(servicec.verify(ca.publicKey)).toBe(true)
  })

  it('refuses a client name that would clash with the set or leave the folder', async () => {
    for (const name of ['server', 'ca', '../x', 'a/b', '']) {
      expect(() => ensureCertificates(dir, { clients: [name] }), name).toThrow(TypeError)
    }
    await expect(stat(dir)).rejects.toThrow()
  })
})
