import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const ALGORITHM = 'aes-256-gcm'
const PREFIX = 'sealed:v1'
const IV_BYTES = 12
const TAG_BYTES = 16
export const KEK_BYTES = 32

/** A sealed value could not be opened: another key-encryption key, or moved to another place. */
export class SealedBoxError extends Error {
  override name = 'SealedBoxError'
}

/**
 * AES-256-GCM under the key-encryption key (STORE_KEK_FILE), for the secrets the factory keeps in
 * a shared store: private keys and TOTP secrets. The `context` (where the value is stored, e.g.
 * `keys/servicea#<kid>`) is bound as additional data, so a sealed value copied to another key
 * does not open there. Sealed form: `sealed:v1:<iv>:<ciphertext>:<tag>`, base64url parts.
 */
export class SealedBox {
  readonly #kek: Buffer
  readonly #scope: string

  /**
   * `scope` goes before every context (ETCD_PREFIX): deployments sharing a cluster and a key
   * still cannot move sealed values between them.
   */
  constructor(kek: Buffer, scope = '') {
    if (kek.length !== KEK_BYTES) throw new SealedBoxError(`the key must be ${KEK_BYTES} bytes`)
    this.#kek = Buffer.from(kek)
    this.#scope = scope
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv(ALGORITHM, this.#kek, iv).setAAD(this.#aad(context))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'))
    return `${PREFIX}:${parts.join(':')}`
  }

  open(sealed: string, context: string): string {
    const parts = sealed.startsWith(`${PREFIX}:`) ? sealed.slice(PREFIX.length + 1).split(':') : []
    const [iv, ciphertext, tag] = parts.map((p) => Buffer.from(p, 'base64url'))
    if (parts.length !== 3 || !iv || !ciphertext || !tag) {
      throw new SealedBoxError(`not a ${PREFIX} value`)
    }
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SealedBoxError('malformed sealed value')
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#kek, iv).setAAD(this.#aad(context))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    } catch {
      throw new SealedBoxError(
        'cannot be opened with this key-encryption key (another STORE_KEK_FILE, or moved)',
      )
    }
  }

  #aad = (context: string) => Buffer.from(`${this.#scope}${context}`)
}
