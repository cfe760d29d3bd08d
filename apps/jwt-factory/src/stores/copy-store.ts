import type { KeyRingSource, StoredRing } from '../keys/key-ring-source.ts'
import type { DocumentSource } from './document-source.ts'
import type { StoreSources } from './factory-store.ts'

/** The copy cannot be made as asked (the target holds something, the source could not be read). */
export class StoreCopyError extends Error {
  override name = 'StoreCopyError'
}

export interface CopyReport {
  /** keyIds copied, service and user keys. */
  keyIds: string[]
  users: number
  clients: number
  revocations: number
}

/** Where each part lives in a KvBackend, to count what is stored whether or not it reads. */
const KV_PARTS = ['keys/', 'user-keys/', 'users/', 'clients/', 'revocations/'] as const

/**
 * Copies everything one store holds into another (`npm run store -- import|export`): the rings
 * whole (kids and every earlier key unchanged, so tokens issued before the move still verify),
 * then the users, the clients and the revocations. Refused before anything is written when the
 * source holds a value it cannot read (a move would silently leave it behind), or when the target
 * holds anything, unless `overwrite`: then the target ends as the source is, part by part.
 */
export async function copyStore(
  from: StoreSources,
  to: StoreSources,
  { overwrite }: { overwrite: boolean },
): Promise<CopyReport> {
  const [serviceRings, userRings] = await Promise.all([
    from.serviceKeys.loadAll(),
    from.userKeys.loadAll(),
  ])
  const [users, clients, revocations] = await Promise.all([
    from.users.read(),
    from.clients.read(),
    from.revocations.read(),
  ])
  const read = [
    serviceRings.size,
    userRings.size,
    users.data.users.length,
    clients.data.clients.length,
    revocations.data.revoked.length,
  ]
  await refuseIfUnread(from, read)
  if (!overwrite) await refuseIfNotEmpty(to)
  const keyIds = [
    ...(await copyRings(serviceRings, to.serviceKeys)),
    ...(await copyRings(userRings, to.userKeys)).map((k) => `${k} (user key)`),
  ]
  await replaceDocument(to.users, users.data)
  await replaceDocument(to.clients, clients.data)
  await replaceDocument(to.revocations, revocations.data)
  return { keyIds, users: read[2]!, clients: read[3]!, revocations: read[4]! }
}

/** Stored values per part: for a KvBackend every record, readable or not. */
async function storedCounts(store: StoreSources): Promise<number[] | undefined> {
  const { backend } = store
  if (!backend) return undefined
  return Promise.all(KV_PARTS.map(async (part) => (await backend.list(part)).length))
}

async function refuseIfUnread(from: StoreSources, read: readonly number[]): Promise<void> {
  const stored = await storedCounts(from)
  const unread = stored?.reduce((sum, n, i) => sum + Math.max(0, n - read[i]!), 0) ?? 0
  if (unread > 0) {
    throw new StoreCopyError(
      `${from.where} holds ${unread} value(s) that cannot be read (the warnings above name them); nothing copied`,
    )
  }
}

async function refuseIfNotEmpty(to: StoreSources): Promise<void> {
  const counts = (await storedCounts(to)) ?? [
    (await to.serviceKeys.loadAll()).size,
    (await to.userKeys.loadAll()).size,
    (await to.users.read()).data.users.length,
    (await to.clients.read()).data.clients.length,
    (await to.revocations.read()).data.revoked.length,
  ]
  const names = ['keyId(s)', 'user key(s)', 'user(s)', 'client(s)', 'revocation(s)']
  const parts = counts.flatMap((n, i) => (n > 0 ? [`${n} ${names[i]}`] : []))
  if (parts.length > 0) {
    throw new StoreCopyError(
      `${to.where} holds ${parts.join(', ')} already; --overwrite replaces them (nothing copied)`,
    )
  }
}

/** Each ring written whole over what the target holds; a target ring the source lacks goes. */
async function copyRings(
  rings: ReadonlyMap<string, StoredRing>,
  target: KeyRingSource,
): Promise<string[]> {
  const current = await target.loadAll()
  for (const [keyId, ring] of rings) {
    const before = current.get(keyId)
    const next = { active: ring.active, previous: ring.previous }
    const result = await target.replace(keyId, before?.version, next, before)
    if (!result.ok)
      throw new StoreCopyError(`${target.where}: ${keyId} changed while it was copied`)
  }
  for (const [keyId, before] of current) {
    if (!rings.has(keyId)) await target.replace(keyId, before.version, undefined, before)
  }
  return [...rings.keys()].sort()
}

const replaceDocument = <T>(target: DocumentSource<T>, data: T) => target.update(() => data)
