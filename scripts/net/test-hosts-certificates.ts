import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import {
  certificatePaths,
  clientCertificatePaths,
  issueClientCertificate,
  issueServerCertificate,
  type CertificateAndKey,
} from '@jwt-factory/tls'

export interface HostCertificatesOptions {
  /** The names and addresses the host serves on: its server certificate's subjectAltName. */
  serverHosts?: readonly string[]
  /** Client certificates to place beside it (CN = the name), as `<name>.pem`, `<name>-key.pem`. */
  clients?: readonly string[]
}

/**
 * One test host's certificates folder, laid out as the apps read CERTS_DIR: the CA's certificate
 * (never its key: nothing on a host issues certificates), a server certificate for the host's own
 * address and the client certificates it presents. Keys 0600 in a 0700 folder, written atomically.
 */
export async function writeHostCertificates(
  dir: string,
  ca: CertificateAndKey,
  { serverHosts = [], clients = [] }: HostCertificatesOptions,
): Promise<void> {
  await ensureDirectory(dir, 0o700)
  const paths = certificatePaths(dir)
  await writeFileAtomic(paths.ca, ca.certPem, { mode: 0o644 })
  if (serverHosts.length > 0) {
    const server = await issueServerCertificate(ca, { hosts: serverHosts })
    await writePair({ cert: paths.server, key: paths.serverKey }, server)
  }
  for (const name of clients) {
    const client = await issueClientCertificate(ca, { commonName: name })
    await writePair(clientCertificatePaths(dir, name), client)
  }
}

async function writePair(paths: { cert: string; key: string }, pair: CertificateAndKey) {
  await writeFileAtomic(paths.key, pair.keyPem, { mode: 0o600 })
  await writeFileAtomic(paths.cert, pair.certPem, { mode: 0o644 })
}
