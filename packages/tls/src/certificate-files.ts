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

/** A service's client certificate (mutual TLS) and its key: `<name>.pem`, `<name>-key.pem`. */
export interface ClientCertificatePaths {
  cert: string
  key: string
}

/** Names a client certificate may have: a service name, never one of the set's own files. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const RESERVED = new Set(['ca', 'server'])

export function clientCertificatePaths(dir: string, name: string): ClientCertificatePaths {
  if (!CLIENT_NAME.test(name) || name.includes('..') || RESERVED.has(name)) {
    throw new TypeError(
      `not a client certificate name: ${JSON.stringify(name)} (a service name; not "ca" or "server")`,
    )
  }
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) }
}
