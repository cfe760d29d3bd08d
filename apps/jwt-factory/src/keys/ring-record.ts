import {
  isSigningAlgorithm,
  signingKeyFromPem,
  type SigningAlgorithm,
  type SigningKey,
} from '@jwt-factory/jwt'
import type { SealedBox } from '../stores/kv/sealed-box.ts'
import type { RingKeys } from './key-ring-source.ts'
import { isValidKeyId } from './key-id.ts'

/** The record's format; a reader refuses any other rather than guess at it. */
const RECORD_VERSION = 1

interface KeyEntry {
  kid: string
  alg: SigningAlgorithm
  /** For whoever reads the store; the key is loaded from the private PEM alone. */
  publicPem: string
  /** `sealed:v1:…`, context `<namespace>/<keyId>#<kid>`. */
  privatePem: string
}

/**
 * `{"version":1,"keyId","active":"<kid>","activeSince":<ms>,"keys":[KeyEntry…]}`: earlier keys
 * first, active last.
 */
interface RingRecord {
  version: typeof RECORD_VERSION
  keyId: string
  active: string
  activeSince?: number
  keys: KeyEntry[]
}

/** Why a stored record cannot be used. Its message never quotes the value. */
export class RingRecordError extends Error {
  override name = 'RingRecordError'
}

/** A sealed key opens only under its own place: a key copied to another keyId or kid does not. */
const sealContext = (namespace: string, keyId: string, kid: string) =>
  `${namespace}/${keyId}#${kid}`

export function encodeRingRecord(
  namespace: string,
  keyId: string,
  ring: RingKeys,
  box: SealedBox,
): string {
  const keys = [...ring.previous, ring.active].map(
    ({ kid, alg, publicPem, privatePem }): KeyEntry => ({
      kid,
      alg,
      publicPem,
      privatePem: box.seal(privatePem, sealContext(namespace, keyId, kid)),
    }),
  )
  const { activeSince } = ring
  const record: RingRecord = {
    version: RECORD_VERSION,
    keyId,
    active: ring.active.kid,
    ...(activeSince === undefined ? {} : { activeSince }),
    keys,
  }
  return JSON.stringify(record)
}

/** The ring a record holds, every private key opened and imported; else a RingRecordError. */
export async function decodeRingRecord(
  namespace: string,
  keyId: string,
  value: string,
  box: SealedBox,
): Promise<RingKeys> {
  if (!isValidKeyId(keyId)) throw new RingRecordError(`"${clip(keyId)}" is not a valid keyId`)
  const record = parseRecord(value)
  if (record.keyId !== keyId) {
    throw new RingRecordError(`the record names keyId "${clip(record.keyId)}": it was moved here`)
  }
  const keys = await Promise.all(record.keys.map((entry) => openKey(namespace, keyId, entry, box)))
  const active = keys.find((k) => k.kid === record.active)
  if (!active)
    throw new RingRecordError(`the active kid ${clip(record.active)} is not among its keys`)
  const previous = keys.filter((k) => k !== active)
  return {
    active,
    previous,
    ...(record.activeSince === undefined ? {} : { activeSince: record.activeSince }),
  }
}

async function openKey(
  namespace: string,
  keyId: string,
  entry: KeyEntry,
  box: SealedBox,
): Promise<SigningKey> {
  let key: SigningKey
  try {
    const pem = box.open(entry.privatePem, sealContext(namespace, keyId, entry.kid))
    key = await signingKeyFromPem(pem, entry.alg)
  } catch (err) {
    throw new RingRecordError(`kid ${clip(entry.kid)}: ${(err as Error).message}`)
  }
  if (key.kid !== entry.kid || key.alg !== entry.alg) {
    throw new RingRecordError(`kid ${clip(entry.kid)} (${entry.alg}) is not its private key's`)
  }
  return key
}

function parseRecord(value: string): RingRecord {
  let record: unknown
  try {
    record = JSON.parse(value)
  } catch {
    // JSON.parse's own message quotes the value.
    throw new RingRecordError('not JSON')
  }
  if (!isObject(record) || record.version !== RECORD_VERSION) {
    throw new RingRecordError(`not a version ${RECORD_VERSION} key ring record`)
  }
  const { keyId, active, keys, activeSince } = record
  if (typeof keyId !== 'string' || typeof active !== 'string' || !Array.isArray(keys)) {
    throw new RingRecordError('keyId, active and keys are required')
  }
  if (activeSince !== undefined && !Number.isSafeInteger(activeSince)) {
    throw new RingRecordError('activeSince must be a time in milliseconds')
  }
  if (keys.length === 0 || !keys.every(isKeyEntry)) {
    throw new RingRecordError('keys must be a list of {kid, alg, publicPem, privatePem}')
  }
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) {
    throw new RingRecordError('a kid appears twice')
  }
  return {
    version: RECORD_VERSION,
    keyId,
    active,
    ...(activeSince === undefined ? {} : { activeSince: activeSince as number }),
    keys,
  }
}

/** A name taken from a foreign value, short enough for a log line. */
const clip = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…` : name)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isKeyEntry = (value: unknown): value is KeyEntry =>
  isObject(value) &&
  typeof value.kid === 'string' &&
  isSigningAlgorithm(value.alg) &&
  typeof value.publicPem === 'string' &&
  typeof value.privatePem === 'string'
