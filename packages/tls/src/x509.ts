/**
 * The one entry to @peculiar/x509 in this package: the Reflect shim must be evaluated before the
 * library (ES modules run their imports in order), so every file imports x509 from here.
 */
import './reflect-metadata.ts'

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
