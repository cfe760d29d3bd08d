import { createPrivateKey, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { daysToMs } from './validity.ts'

export interface CertificateSet {
  caPem: string
  caKeyPem: string
  serverPem: string
  serverKeyPem: string
}

export interface CheckCertificateSetOptions {
  hosts: readonly string[]
  /** The server certificate (and the CA) must stay valid at least this long. */
  minRemainingDays: number
  now?: Date
}

/**
 * Why a CA and server certificate on disk cannot be used as they are, or undefined when they can:
 * the server certificate must be issued and signed by this CA, both keys must match their
 * certificates, it must cover every host and stay valid long enough. Checked with node's own
 * X509 (OpenSSL), the same code that will verify the handshake.
 */
export function checkCertificateSet(
  set: CertificateSet,
  options: CheckCertificateSetOptions,
): string | undefined {
  const now = options.now ?? new Date()
  let ca: X509Certificate
  let server: X509Certificate
  try {
    ca = new X509Certificate(set.caPem)
    server = new X509Certificate(set.serverPem)
  } catch {
    return 'a certificate cannot be parsed'
  }
  if (!ca.ca) return 'ca.pem is not a CA certificate'
  if (!keyMatches(ca, set.caKeyPem)) return 'ca-key.pem does not belong to ca.pem'
  if (!server.checkIssued(ca) || !server.verify(ca.publicKey)) {
    return 'server.pem was not signed by ca.pem'
  }
  if (!keyMatches(server, set.serverKeyPem)) return 'server-key.pem does not belong to server.pem'
  const covers = (host: string) => (isIP(host) ? server.checkIP(host) : server.checkHost(host))
  const missing = options.hosts.find((host) => covers(host) === undefined)
  if (missing !== undefined) return `server.pem does not cover ${missing}`
  const deadline = now.getTime() + daysToMs(options.minRemainingDays)
  for (const [name, cert] of [
    ['ca.pem', ca],
    ['server.pem', server],
  ] as const) {
    if (new Date(cert.validFrom).getTime() > now.getTime()) return `${name} is not valid yet`
    if (new Date(cert.validTo).getTime() < deadline) {
      return `${name} expires within ${options.minRemainingDays} days (${cert.validTo})`
    }
  }
  return undefined
}

function keyMatches(cert: X509Certificate, keyPem: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem))
  } catch {
    return false
  }
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

export interface CheckClientCertificateOptions {
  minRemainingDays: number
  now?: Date
}

/**
 * Why a service's client certificate cannot be used as it is, or undefined when it can: signed by
 * this CA, its key matching, named (CN) after the service, allowed for client auth, and valid
 * long enough.
 */
export function checkClientCertificate(
  caPem: string,
  client: { certPem: string; keyPem: string },
  name: string,
  options: CheckClientCertificateOptions,
): string | undefined {
  const now = options.now ?? new Date()
  let ca: X509Certificate
  let cert: X509Certificate
  try {
    ca = new X509Certificate(caPem)
    cert = new X509Certificate(client.certPem)
  } catch {
    return `${name}.pem cannot be parsed`
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    return `${name}.pem was not signed by ca.pem`
  if (!keyMatches(cert, client.keyPem)) return `${name}-key.pem does not belong to ${name}.pem`
  if (cert.subject !== `CN=${name}`) return `${name}.pem is not named ${name}`
  if (!(cert.keyUsage ?? []).includes(CLIENT_AUTH))
    return `${name}.pem does not allow client authentication`
  if (new Date(cert.validFrom).getTime() > now.getTime()) return `${name}.pem is not valid yet`
  if (new Date(cert.validTo).getTime() < now.getTime() + daysToMs(options.minRemainingDays)) {
    return `${name}.pem expires within ${options.minRemainingDays} days (${cert.validTo})`
  }
  return undefined
}
