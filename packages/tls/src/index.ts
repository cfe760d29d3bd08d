export type { CertificateAndKey } from './certificate-and-key.ts'
export {
  createCertificateAuthority,
  type CertificateAuthorityOptions,
} from './certificate-authority.ts'
export {
  issueServerCertificate,
  DEFAULT_SERVER_HOSTS,
  type ServerCertificateOptions,
} from './server-certificate.ts'
export { issueClientCertificate, type ClientCertificateOptions } from './client-certificate.ts'
export {
  certificatePaths,
  clientCertificatePaths,
  CERTIFICATE_FILE_NAMES,
  type CertificatePaths,
  type ClientCertificatePaths,
} from './certificate-files.ts'
export {
  ensureCertificates,
  DEFAULT_CLIENT_NAMES,
  type EnsureCertificatesOptions,
  type EnsureCertificatesResult,
} from './ensure-certificates.ts'
export { loadClientCertificate, loadTlsFiles, type TlsFiles } from './load-tls-files.ts'
