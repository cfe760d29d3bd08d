import type {
  KeyRingSource,
  RingKeys,
  RingReplaceResult,
  StoredRing,
} from '../keys/key-ring-source.ts'
import type { IpcClient } from './ipc-client.ts'
import type { IpcCall, IpcHost } from './ipc-host.ts'
import { ringFromWire, ringToWire, type WireRing } from './key-ring-wire.ts'
import type { Turns } from './turns.ts'

type WireReplaceResult =
  { ok: true; version: string | undefined } | { ok: false; current: WireRing | undefined }

/** A change, as delivered to every worker: the keyId and its ring now (undefined: removed). */
interface RingChange {
  keyId: string
  ring: WireRing | undefined
}

/**
 * The primary serves `source` (a VersionedKeyRingSource, which this process alone changes,
 * through here) to the workers under `name`. A change is answered once every worker holds it,
 * so the next request, at any worker, finds the key.
 */
export function hostKeyRingSource(
  host: IpcHost,
  name: string,
  source: KeyRingSource,
  turns: Turns,
): void {
  host.handle(`${name}.take`, (keyId: string, holder: string) =>
    turns.take(`${name}/${keyId}`, holder),
  )
  host.handle(`${name}.give`, (keyId: string, holder: string) =>
    turns.give(`${name}/${keyId}`, holder),
  )
  const wire = (ring: StoredRing | undefined) => ring && ringToWire(ring)
  host.handle(`${name}.loadAll`, async () => {
    const rings = new Map<string, WireRing>()
    for (const [keyId, ring] of await source.loadAll()) rings.set(keyId, ringToWire(ring))
    return rings
  })
  host.handle(`${name}.load`, async (keyId: string) => wire(await source.load(keyId)))
  host.handle(
    `${name}.replace`,
    async function (
      this: IpcCall,
      keyId: string,
      expected: string | undefined,
      next: WireRing | undefined,
      whole: boolean,
    ): Promise<WireReplaceResult> {
      const ring = next && (await ringFromWire(next))
      const prior = await source.load(keyId)
      // The source compares with its own ring; only "every file" or "what differs" is asked.
      const before = whole ? undefined : prior
      const deliver = async () => {
        const stored = await source.load(keyId)
        // A new active key is published at every worker before any signs with it: until then
        // a token it signed could reach a worker that cannot verify it yet.
        const published = prior && stored && publishedFirst(prior, stored)
        if (published) await host.deliver(`${name}.change`, { keyId, ring: wire(published) })
        const change: RingChange = { keyId, ring: wire(stored) }
        await host.deliver(`${name}.change`, change, this.caller)
      }
      const result = await source.replace(keyId, expected, ring, before).catch(async (err) => {
        await deliver() // a failed write: the ring is what the source read back from the folder
        throw err
      })
      if (!result.ok) return { ok: false, current: wire(result.current) }
      await deliver()
      return result
    },
  )
}

/**
 * `next`'s keys with `prior`'s active key still signing, under a version of its own; undefined
 * when the active key did not change (a retirement needs no first step).
 */
function publishedFirst(prior: StoredRing, next: StoredRing): StoredRing | undefined {
  if (prior.active.kid === next.active.kid) return undefined
  const others = [next.active, ...next.previous].filter((key) => key.kid !== prior.active.kid)
  return {
    active: prior.active,
    previous: others,
    ...(prior.activeSince === undefined ? {} : { activeSince: prior.activeSince }),
    version: `${next.version ?? ''}~published`,
  }
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
  /** The ring of each keyId the primary delivered last: load() answers it without asking. */
  readonly #delivered = new Map<string, StoredRing | undefined>()
  readonly #listeners = new Set<(keyId: string | undefined) => void>()
  #turn: Promise<void> = Promise.resolve()

  readonly #holder: string

  /** `holder`: this worker, as the primary's turns know it (its cluster id). */
  constructor(
    client: IpcClient,
    name: string,
    readonly where: string,
    holder: string,
  ) {
    this.#client = client
    this.#name = name
    this.#holder = holder
    // In the order delivered: a later ring imported first must not be overwritten by an earlier.
    client.subscribe<RingChange>(`${name}.change`, ({ keyId, ring }) => {
      const taken = this.#turn.then(async () => {
        this.#delivered.set(keyId, ring && (await this.#import(keyId, ring)))
        for (const listener of this.#listeners) listener(keyId)
      })
      this.#turn = taken.catch(() => undefined)
      return taken
    })
  }

  async loadAll(): Promise<Map<string, StoredRing>> {
    const wire = await this.#client.call<Map<string, WireRing>>(`${this.#name}.loadAll`, [])
    const rings = new Map<string, StoredRing>()
    for (const [keyId, ring] of wire) rings.set(keyId, await this.#import(keyId, ring))
    return rings
  }

  async load(keyId: string): Promise<StoredRing | undefined> {
    if (this.#delivered.has(keyId)) return this.#delivered.get(keyId)
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

  /** The change runs with keyId's turn at the primary: no other worker changes it meanwhile. */
  async exclusive<T>(keyId: string, change: () => Promise<T>): Promise<T> {
    const args = [keyId, this.#holder]
    await this.#client.call(`${this.#name}.take`, args)
    try {
      return await change()
    } finally {
      // Not given back (the primary gone): it has forgotten this worker's turns already.
      await this.#client.call(`${this.#name}.give`, args).catch(() => undefined)
    }
  }

  watch(onChange: (keyId: string | undefined) => void): { close(): void } {
    this.#listeners.add(onChange)
    return { close: () => this.#listeners.delete(onChange) }
  }

  async #import(keyId: string, wire: WireRing): Promise<StoredRing> {
    const known = this.#known.get(keyId)
    if (known && known.version === wire.version) return known
    const ring = await ringFromWire(wire)
    this.#known.set(keyId, ring)
    return ring
  }
}
