import { createPrivateKey, X509Certificate as NodeX509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CertificateAndKey } from './certificate-and-key.ts'
import { createCertificateAuthority } from './certificate-authority.ts'
import { issueClientCertificate } from './client-certificate.ts'
import { issueServerCertificate } from './server-certificate.ts'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from './x509.ts'

const SERVER_AUTH = ExtendedKeyUsage.serverAuth as string
const CLIENT_AUTH = ExtendedKeyUsage.clientAuth as string

function namedCurve(keyPem: string): string | undefined {
  return createPrivateKey(keyPem).asymmetricKeyDetails?.namedCurve
}

describe('createCertificateAuthority', () => {
  let ca: CertificateAndKey
  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'test CA', validityDays: 30 })
  })

  it('is a self-signed CA with a P-256 key, signed with ECDSA SHA-256', async () => {
    const cert = new X509Certificate(ca.certPem)
    expect(cert.subject).toBe('CN=test CA')
    expect(cert.issuer).toBe('CN=test CA')
    expect(await cert.isSelfSigned()).toBe(true)
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } })
    expect(namedCurve(ca.keyPem)).toBe('prime256v1')
    expect(ca.keyPem).toContain('-----BEGIN PRIVATE KEY-----')
    const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThan(30.1)
  })

  it('has critical basicConstraints CA:true, keyCertSign|cRLSign, a subject key id', () => {
    const cert = new X509Certificate(ca.certPem)
    const basic = cert.getExtension(BasicConstraintsExtension)
    expect(basic?.ca).toBe(true)
    expect(basic?.critical).toBe(true)
    const usage = cert.getExtension(KeyUsagesExtension)
    expect(usage?.usages).toBe(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)
    expect(cert.getExtension(SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/)
    expect(new NodeX509Certificate(ca.certPem).ca).toBe(true)
  })

  it('refuses a non-positive validity at once', async () => {
    await expect(createCertificateAuthority({ validityDays: 0 })).rejects.toThrow(TypeError)
  })
})

describe('issueServerCertificate', () => {
  let ca: CertificateAndKey
  let server: CertificateAndKey
  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'test CA', validityDays: 30 })
    const hosts = ['localhost', '127.0.0.1', '::1']
    server = await issueServerCertificate(ca, { hosts, validityDays: 10 })
  })

  it('is signed by the CA and matches its own key (as OpenSSL sees it)', () => {
    const caCert = new NodeX509Certificate(ca.certPem)
    const cert = new NodeX509Certificate(server.certPem)
    expect(cert.checkIssued(caCert)).toBe(true)
    expect(cert.verify(caCert.publicKey)).toBe(true)
    expect(cert.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true)
    expect(cert.ca).toBe(false)
    expect(namedCurve(server.keyPem)).toBe('prime256v1')
  })

  it('names every host in the subjectAltName, IPv6 included', () => {
    const cert = new NodeX509Certificate(server.certPem)
    expect(cert.checkHost('localhost')).toBe('localhost')
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(cert.checkIP('::1')).toBe('::1')
    expect(cert.checkHost('example.com')).toBeUndefined()
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    )
  })

  it('allows server and client auth and points at the CA key', () => {
    const cert = new X509Certificate(server.certPem)
    const caCert = new X509Certificate(ca.certPem)
    expect(cert.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([SERVER_AUTH, CLIENT_AUTH])
    expect(cert.getExtension(KeyUsagesExtension)?.usages).toBe(KeyUsageFlags.digitalSignature)
    expect(cert.getExtension(BasicConstraintsExtension)?.ca).toBe(false)
    expect(cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(
      caCert.getExtension(SubjectKeyIdentifierExtension)?.keyId,
    )
    expect(cert.issuer).toBe('CN=test CA')
    expect(cert.subject).toBe('CN=localhost')
  })

  it('is not signed by another CA', async () => {
    const other = await createCertificateAuthority({ commonName: 'test CA', validityDays: 30 })
    const cert = new NodeX509Certificate(server.certPem)
    expect(cert.verify(new NodeX509Certificate(other.certPem).publicKey)).toBe(false)
  })

  it('refuses an empty host list', async () => {
    await expect(issueServerCertificate(ca, { hosts: [] })).rejects.toThrow(TypeError)
  })
})

describe('issueClientCertificate', () => {
  it('carries the service name as CN and allows client auth only', async () => {
    const ca = await createCertificateAuthority({ commonName: 'test CA', validityDays: 30 })
    const client = await issueClientCertificate(ca, { commonName: 'servicea' })
    const cert = new X509Certificate(client.certPem)
    expect(cert.subject).toBe('CN=servicea')
    expect(cert.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([CLIENT_AUTH])
    const nodeCert = new NodeX509Certificate(client.certPem)
    expect(nodeCert.verify(new NodeX509Certificate(ca.certPem).publicKey)).toBe(true)
    expect(nodeCert.checkPrivateKey(createPrivateKey(client.keyPem))).toBe(true)
  })
})
