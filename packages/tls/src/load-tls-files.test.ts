import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { ensureCertificates } from './ensure-certificates.ts'
import { loadClientCertificate, loadTlsFiles } from './load-tls-files.ts'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tls-load-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('reads the CA, the server certificate and its key', async () => {
  await ensureCertificates(dir)
  const files = await loadTlsFiles(dir)
  expect(files.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/)
  expect(files.certPem).toMatch(/^-----BEGIN CERTIFICATE-----/)
  expect(files.certPem).not.toBe(files.caPem)
  expect(files.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
})

it('names the missing file and says how to create it', async () => {
  await ensureCertificates(dir)
  await rm(join(dir, 'server-key.pem'))
  await expect(loadTlsFiles(dir)).rejects.toThrow(
    `TLS file ${join(dir, 'server-key.pem')} is missing: run \`npm run certs\` to create it`,
  )
})

it("reads a service's client certificate; none is undefined, half of one names the missing file", async () => {
  await ensureCertificates(dir)
  const servicea = await loadClientCertificate(dir, 'servicea')
  expect(servicea?.certPem).toMatch(/^-----BEGIN CERTIFICATE-----/)
  expect(servicea?.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
  expect(await loadClientCertificate(dir, 'nobody')).toBeUndefined()
  await rm(join(dir, 'serviceb-key.pem'))
  await expect(loadClientCertificate(dir, 'serviceb')).rejects.toThrow(
    `TLS file ${join(dir, 'serviceb-key.pem')} is missing`,
  )
})
