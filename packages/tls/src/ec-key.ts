import { webcrypto } from 'node:crypto'
import { PemConverter } from './x509.ts'

/** ECDSA P-256 keys signed with SHA-256: small, fast, accepted by every TLS stack we talk to. */
const KEY_ALGORITHM: webcrypto.EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' }
export const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }

/** Extractable, because the private key is written to disk for node:tls to load. */
export function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])
}

export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key)
  return PemConverter.encode(der, 'PRIVATE KEY')
}

/** Imports a PKCS#8 PEM private key for signing certificates; not extractable again. */
export function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = PemConverter.decodeFirst(keyPem)
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign'])
}
