import { join } from 'node:path'

/** Where the project's CA and the shared server certificate live inside a certificates folder. */
export interface CertificatePaths {
  ca: string
  caKey: string
  server: string
  serverKey: string
}

export const CERTIFICATE_FILE_NAMES: Readonly<CertificatePaths> = Object.freeze({
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
})

export function certificatePaths(dir: string): CertificatePaths {
  return {
    ca: join(dir, CERTIFICATE_FILE_NAMES.ca),
    caKey: join(dir, CERTIFICATE_FILE_NAMES.caKey),
    server: join(dir, CERTIFICATE_FILE_NAMES.server),
    serverKey: join(dir, CERTIFICATE_FILE_NAMES.serverKey),
  }
}
