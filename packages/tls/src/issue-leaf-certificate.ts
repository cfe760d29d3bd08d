import type { CertificateAndKey } from './certificate-and-key.ts'
import {
  exportPrivateKeyPem,
  generateKeyPair,
  importSigningKey,
  SIGNING_ALGORITHM,
} from './ec-key.ts'
import { validityWindow } from './validity.ts'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from './x509.ts'

export interface LeafCertificateOptions {
  commonName: string
  validityDays: number
  /** Extended key usage OIDs (serverAuth, clientAuth). */
  usages: string[]
  /** Extensions beyond the common ones, e.g. subjectAltName. */
  extensions?: Extension[]
}

/** A new key pair and an end-entity certificate for it, signed by the CA. */
export async function issueLeafCertificate(
  ca: CertificateAndKey,
  options: LeafCertificateOptions,
): Promise<CertificateAndKey> {
  if (options.commonName.trim() === '') throw new TypeError('commonName must not be empty')
  const caCert = new X509Certificate(ca.certPem)
  const signingKey = await importSigningKey(ca.keyPem)
  const keys = await generateKeyPair()
  const cert = await X509CertificateGenerator.create({
    subject: [{ CN: [options.commonName] }],
    // The CA's own encoded name, so issuer and CA subject compare equal byte for byte.
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options.validityDays),
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      // ECDSA keys sign the handshake; keyEncipherment is for RSA key transport only.
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension(options.usages, false),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      await authorityKeyIdentifier(caCert),
      ...(options.extensions ?? []),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) }
}

/** RFC 5280 §4.2.1.1: the CA's subjectKeyIdentifier when it has one, else derived from its key. */
async function authorityKeyIdentifier(
  caCert: X509Certificate,
): Promise<AuthorityKeyIdentifierExtension> {
  const ski = caCert.getExtension(SubjectKeyIdentifierExtension)
  if (ski) return new AuthorityKeyIdentifierExtension(ski.keyId)
  return AuthorityKeyIdentifierExtension.create(caCert.publicKey)
}
