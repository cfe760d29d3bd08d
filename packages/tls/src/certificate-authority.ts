import type { CertificateAndKey } from './certificate-and-key.ts'
import { exportPrivateKeyPem, generateKeyPair, SIGNING_ALGORITHM } from './ec-key.ts'
import { validityWindow } from './validity.ts'
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from './x509.ts'

export interface CertificateAuthorityOptions {
  /** Default 'jwt-factory local CA'. */
  commonName?: string
  /** Default 3650 (ten years): a local CA outlives many server certificates. */
  validityDays?: number
}

/** A self-signed root that only signs certificates (RFC 5280 §4.2.1.9, §4.2.1.3). */
export async function createCertificateAuthority(
  options: CertificateAuthorityOptions = {},
): Promise<CertificateAndKey> {
  const { commonName = 'jwt-factory local CA', validityDays = 3650 } = options
  if (commonName.trim() === '') throw new TypeError('commonName must not be empty')
  const keys = await generateKeyPair()
  const cert = await X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(validityDays),
    extensions: [
      // RFC 5280 §4.2.1.9: conforming CAs mark basicConstraints critical in CA certificates.
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      // The leaf certificates' authorityKeyIdentifier points at this value.
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) }
}
