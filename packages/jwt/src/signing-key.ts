import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateNodeKeyPair,
  type KeyObject,
} from 'node:crypto'
import { promisify } from 'node:util'
import { calculateJwkThumbprint, importSPKI, type CryptoKey, type JWK } from 'jose'
import { algorithmForKey, KeyImportError, type SigningAlgorithm } from './algorithms.ts'

const generateKeyPairAsync = promisify(generateNodeKeyPair)

/** A public JWK as published in a JWKS: key members plus kid, alg and use, never a private member. */
export interface PublicJwk extends JWK {
  kid: string
  alg: SigningAlgorithm
  use: 'sig'
}

/** What a verifier needs: the imported public key, ready for WebCrypto, and how to name it. */
export interface VerificationKey {
  /** RFC 7638 JWK thumbprint (SHA-256) of the public key. */
  readonly kid: string
  /** The one algorithm this key verifies: pinned by the key, never read from a token. */
  readonly alg: SigningAlgorithm
  readonly publicKey: CryptoKey
  readonly publicJwk: PublicJwk
  /** SPKI PEM. */
  readonly publicPem: string
}

export interface SigningKey extends VerificationKey {
  /** The private key, for node:crypto, which signs every token (sign.ts, node-signature.ts). */
  readonly privateKeyObject: KeyObject
  /** PKCS#8 PEM, for persisting the key. */
  readonly privatePem: string
}

/** Makes a new key pair for `alg` (RSA keys are 2048 bits). Runs off the event loop. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey } =
    alg === 'ES256'
      ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? await generateKeyPairAsync('ed25519')
        : await generateKeyPairAsync('rsa', { modulusLength: 2048 })
  return signingKeyFromKeyObject(privateKey, alg)
}

/**
 * Loads a private key PEM: PKCS#8, PKCS#1 (what the original demo wrote) or SEC1. The key's type
 * decides its algorithm; `preferred` only picks PS256 over RS256 for RSA keys.
 */
export async function signingKeyFromPem(
  pem: string,
  preferred: SigningAlgorithm,
): Promise<SigningKey> {
  let keyObject: KeyObject
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' })
  } catch (cause) {
    throw new KeyImportError('not a readable private key PEM', { cause })
  }
  return signingKeyFromKeyObject(keyObject, algorithmForKey(keyObject, preferred))
}

/** Loads a public key PEM (SPKI or PKCS#1) for verifying only. */
export async function verificationKeyFromPem(
  pem: string,
  preferred: SigningAlgorithm,
): Promise<VerificationKey> {
  let keyObject: KeyObject
  try {
    keyObject = createPublicKey({ key: pem, format: 'pem' })
  } catch (cause) {
    throw new KeyImportError('not a readable public key PEM', { cause })
  }
  return verificationKeyFromKeyObject(keyObject, algorithmForKey(keyObject, preferred))
}

async function signingKeyFromKeyObject(
  keyObject: KeyObject,
  alg: SigningAlgorithm,
): Promise<SigningKey> {
  algorithmForKey(keyObject, alg) // refuses small RSA keys and unsupported curves
  const privatePem = keyObject.export({ format: 'pem', type: 'pkcs8' }).toString()
  const verification = await verificationKeyFromKeyObject(createPublicKey(keyObject), alg)
  return { ...verification, privateKeyObject: keyObject, privatePem }
}

async function verificationKeyFromKeyObject(
  keyObject: KeyObject,
  alg: SigningAlgorithm,
): Promise<VerificationKey> {
  const publicPem = keyObject.export({ format: 'pem', type: 'spki' }).toString()
  const jwk = keyObject.export({ format: 'jwk' }) as JWK
  const kid = await calculateJwkThumbprint(jwk, 'sha256')
  const publicKey = await importSPKI(publicPem, alg)
  return { kid, alg, publicKey, publicPem, publicJwk: { ...jwk, kid, alg, use: 'sig' } }
}
