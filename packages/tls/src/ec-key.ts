import { PemConverter } from './x509.ts'

/** ECDSA P-256 keys signed with SHA-256: small, fast, accepted by every TLS stack we talk to. */
const KEY_ALGORITHM: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' }
export const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }

/** Extractable, because the private key is written to disk for node:tls to load. */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key)
  return PemConverter.encode(der, 'PRIVATE KEY')
}

/** Imports a PKCS#8 PEM private key for signing certificates; not extractable again. */
export function importSigningKey(keyPem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', PemConverter.decodeFirst(keyPem), KEY_ALGORITHM, false, ['sign'])
}
