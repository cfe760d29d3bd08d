import type { CertificateAndKey } from './certificate-and-key.ts'
import { issueLeafCertificate } from './issue-leaf-certificate.ts'
import { ExtendedKeyUsage } from './x509.ts'

export interface ClientCertificateOptions {
  /** The service's name, e.g. 'servicea'; an mTLS server reads it from the peer certificate. */
  commonName: string
  /** Default 365. */
  validityDays?: number
}

/** A certificate a service presents to its peers for mutual TLS; usable for client auth only. */
export function issueClientCertificate(
  ca: CertificateAndKey,
  options: ClientCertificateOptions,
): Promise<CertificateAndKey> {
  return issueLeafCertificate(ca, {
    commonName: options.commonName,
    validityDays: options.validityDays ?? 365,
    usages: [ExtendedKeyUsage.clientAuth],
  })
}
