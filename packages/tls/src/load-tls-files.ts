import { readFile } from 'node:fs/promises'
import type { CertificateAndKey } from './certificate-and-key.ts'
import { certificatePaths, clientCertificatePaths } from './certificate-files.ts'

/** What a process needs to serve HTTPS and to trust its peers. */
export interface TlsFiles {
  /** The project's CA: the only root its HTTPS client trusts. */
  caPem: string
  certPem: string
  keyPem: string
}

/** Reads the CA and the server certificate and key written by `npm run certs`. */
export async function loadTlsFiles(dir: string): Promise<TlsFiles> {
  const paths = certificatePaths(dir)
  const [caPem, certPem, keyPem] = await Promise.all([
    readTlsFile(paths.ca),
    readTlsFile(paths.server),
    readTlsFile(paths.serverKey),
  ])
  return { caPem, certPem, keyPem }
}

/**
 * The client certificate and key of service `name` (`<name>.pem`, `<name>-key.pem`), or undefined
 * when neither exists (a certificates folder made before client certificates were). One without
 * the other is an error naming the missing file.
 */
export async function loadClientCertificate(
  dir: string,
  name: string,
): Promise<CertificateAndKey | undefined> {
  const paths = clientCertificatePaths(dir, name)
  const [certPem, keyPem] = await Promise.all(
    [paths.cert, paths.key].map((p) => readFile(p, 'utf8').catch(missingAsUndefined)),
  )
  if (certPem === undefined && keyPem === undefined) return undefined
  return {
    certPem: certPem ?? (await readTlsFile(paths.cert)),
    keyPem: keyPem ?? (await readTlsFile(paths.key)),
  }
}

function missingAsUndefined(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined
  throw err
}

async function readTlsFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      const message = `TLS file ${path} is missing: run \`npm run certs\` to create it`
      throw new Error(message, { cause: err })
    }
    throw new Error(`TLS file ${path} cannot be read (${code ?? 'unknown error'})`, { cause: err })
  }
}
