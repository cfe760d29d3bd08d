/**
 * The one entry to @peculiar/x509 in this package. Its algorithm registry (tsyringe) needs the
 * Reflect metadata polyfill loaded first (ES modules evaluate imports in order), as its README
 * asks, so every file imports x509 from here.
 */
import 'reflect-metadata'

export {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509'
