import { signingKeyFromPem, type SigningAlgorithm, type SigningKey } from '@jwt-factory/jwt'
import type { RingKeys, StoredRing } from '../keys/key-ring-source.ts'

/** A key as it crosses the channel: the private PEM, as the folder keeps it (KeyObjects do not cross). */
interface WireKey {
  alg: SigningAlgorithm
  privatePem: string
}

export interface WireRing {
  active: WireKey
  previous: WireKey[]
  activeSince?: number
  version?: string
}

const toWireKey = ({ alg, privatePem }: SigningKey): WireKey => ({ alg, privatePem })

export function ringToWire(ring: RingKeys & { version?: string | undefined }): WireRing {
  return {
    active: toWireKey(ring.active),
    previous: ring.previous.map(toWireKey),
    ...(ring.activeSince === undefined ? {} : { activeSince: ring.activeSince }),
    ...(ring.version === undefined ? {} : { version: ring.version }),
  }
}

/** Imports every key again; the kid is derived from the key, so it is the sender's. */
export async function ringFromWire(wire: WireRing): Promise<StoredRing> {
  const key = (k: WireKey) => signingKeyFromPem(k.privatePem, k.alg)
  return {
    active: await key(wire.active),
    previous: await Promise.all(wire.previous.map(key)),
    ...(wire.activeSince === undefined ? {} : { activeSince: wire.activeSince }),
    version: wire.version,
  }
}
