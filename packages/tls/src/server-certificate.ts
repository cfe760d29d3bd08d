import { isIP } from 'node:net'
import type { CertificateAndKey } from './certificate-and-key.ts'
import { issueLeafCertificate } from './issue-leaf-certificate.ts'
import { ExtendedKeyUsage, SubjectAlternativeNameExtension } from './x509.ts'

export const DEFAULT_SERVER_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1']

export interface ServerCertificateOptions {
  /** DNS names and IPv4/IPv6 addresses the server answers on; default localhost, 127.0.0.1, ::1. */
  hosts?: readonly string[]
  /** Default 365. */
  validityDays?: number
}

/**
 * A server certificate for the given hosts. TLS clients match only the subjectAltName (RFC 6125
 * §6.4.4; the CN is ignored once a SAN is present), so every host goes there, IPs as iPAddress.
 * It also carries clientAuth, so a process can present the same certificate when it calls a peer.
 */
export async function issueServerCertificate(
  ca: CertificateAndKey,
  options: ServerCertificateOptions = {},
): Promise<CertificateAndKey> {
  const { hosts = DEFAULT_SERVER_HOSTS, validityDays = 365 } = options
  const [first] = hosts
  if (first === undefined) throw new TypeError('hosts must name at least one host')
  const names = hosts.map((host) => {
    if (host.trim() === '') throw new TypeError('hosts must not contain an empty name')
    return { type: isIP(host) ? ('ip' as const) : ('dns' as const), value: host }
  })
  return issueLeafCertificate(ca, {
    commonName: first,
    validityDays,
    usages: [ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth],
    extensions: [new SubjectAlternativeNameExtension(names, false)],
  })
}
