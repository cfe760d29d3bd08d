/** A certificate and its private key, PEM (the key as PKCS#8), as node:tls and undici take them. */
export interface CertificateAndKey {
  certPem: string
  keyPem: string
}
