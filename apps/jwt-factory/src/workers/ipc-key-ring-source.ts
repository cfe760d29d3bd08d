import type {
  KeyRingSource,
  RingKeys,
  RingReplaceResult,
  StoredRing,
} from '../keys/key-ring-source.ts'
import type { IpcClient } from './ipc-client.ts'
import type { IpcHost } from './ipc-host.ts'
import { ringFromWire, ringToWire, type WireRing } from './key-ring-wire.ts'

type WireReplaceResult =
  { ok: true; version: string | undefined } | { ok: false; current: WireRing | undefined }

/** The primary serves `source` (a VersionedKeyRingSource) to the workers under `name`. */
export function hostKeyRingSource(host: IpcHost, name: string, source: KeyRingSource) {
  const wire = (ring: StoredRing | undefined) => ring && ringToWire(ring)
  host.handle(`${name}.loadAll`, async () => {
    const rings = new Map<string, WireRing>()
    for (const [keyId, ring] of await source.loadAll()) rings.set(keyId, ringToWire(ring))
    return rings
  })
  host.handle(`${name}.load`, async (keyId: string) => wire(await source.load(keyId)))
  host.handle(
    `${name}.replace`,
    async (
      keyId: string,
      expected: string | undefined,
      next: WireRing | undefined,
      whole: boolean,
    ): Promise<WireReplaceResult> => {
      const ring = next && (await ringFromWire(next))
      // The source compares with its own ring; only "every file" or "what differs" is asked.
      const before = whole ? undefined : await source.load(keyId)
      const result = await source.replace(keyId, expected, ring, before)
      return result.ok ? result : { ok: false, current: wire(result.current) }
    },
  )
  return source.watch((keyId) => host.publish(`${name}.change`, keyId))
}

/**
 * A worker's rings, kept by the primary: shared (another worker changes them too), so each
 * change starts from a fresh read and is stored only if the ring is still the one it read.
 * A ring is imported again only when its version changed.
 */
export class IpcKeyRingSource implements KeyRingSource {
  readonly shared = true
  readonly #client: IpcClient
  readonly #name: string
  readonly #known = new Map<string, StoredRing>()

  constructor(
    client: IpcClient,
    name: string,
    readonly where: string,
  ) {
    this.#client = client
    this.#name = name
  }

  async loadAll(): Promise<Map<string, StoredRing>> {
    const wire = await this.#client.call<Map<string, WireRing>>(`${this.#name}.loadAll`, [])
    const rings = new Map<string, StoredRing>()
    for (const [keyId, ring] of wire) rings.set(keyId, await this.#import(keyId, ring))
    return rings
  }

  async load(keyId: string): Promise<StoredRing | undefined> {
    const ring = await this.#client.call<WireRing | undefined>(`${this.#name}.load`, [keyId])
    return ring && this.#import(keyId, ring)
  }

  async replace(
    keyId: string,
    expected: string | undefined,
    next: RingKeys | undefined,
    before: StoredRing | undefined,
  ): Promise<RingReplaceResult> {
    const args = [keyId, expected, next && ringToWire(next), before === undefined]
    const result = await this.#client.call<WireReplaceResult>(`${this.#name}.replace`, args)
    if (result.ok) {
      if (next && result.version !== undefined) {
        this.#known.set(keyId, { ...next, version: result.version })
      }
      return result
    }
    const current = result.current && (await this.#import(keyId, result.current))
    return { ok: false, current }
  }

  watch(onChange: (keyId: string | undefined) => void): { close(): void } {
    return this.#client.subscribe(`${this.#name}.change`, onChange)
  }

  async #import(keyId: string, wire: WireRing): Promise<StoredRing> {
    const known = this.#known.get(keyId)
    if (known && known.version === wire.version) return known
    const ring = await ringFromWire(wire)
    this.#known.set(keyId, ring)
    return ring
  }
}
