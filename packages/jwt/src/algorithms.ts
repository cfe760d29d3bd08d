import type { KeyObject } from 'node:crypto'

/**
 * The signing algorithms the product offers. ES256 is the default: OWASP's JWT cheat sheet
 * recommends ECDSA, and it signs an order of magnitude faster than RSA. RS256 is what the
 * original demo used, so its key folders keep working.
 */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

export const DEFAULT_ALGORITHM: SigningAlgorithm = 'ES256'

/** RFC 8725 §3.5 and NIST SP 800-131A: RSA keys below 2048 bits are not to be trusted. */
export const MIN_RSA_BITS = 2048

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value)
}

/**
 * The algorithm a key may sign with. A key's type decides, not the configuration: an RSA key
 * from the original demo's folder keeps signing RS256 when new keys are ES256. An RSA key signs
 * PS256 only when PS256 is what is preferred.
 */
export function algorithmForKey(key: KeyObject, preferred: SigningAlgorithm): SigningAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
      if (bits < MIN_RSA_BITS) {
        throw new KeyImportError(
          `RSA key of ${bits} bits refused: at least ${MIN_RSA_BITS} bits are required`,
        )
      }
      return preferred === 'PS256' ? 'PS256' : 'RS256'
    }
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve
      if (curve !== 'prime256v1') {
        throw new KeyImportError(`EC key on curve ${curve ?? 'unknown'} refused: ES256 needs P-256`)
      }
      return 'ES256'
    }
    case 'ed25519':
      return 'EdDSA'
    default:
      throw new KeyImportError(`key type ${key.asymmetricKeyType ?? 'unknown'} is not supported`)
  }
}

/** A key that cannot be used: wrong type, too small, unreadable PEM. */
export class KeyImportError extends Error {
  override readonly name = 'KeyImportError'
  readonly code = 'ERR_KEY_IMPORT'
}
