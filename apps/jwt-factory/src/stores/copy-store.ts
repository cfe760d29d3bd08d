import type { KeyRingSource } from '../keys/key-ring-source.ts'
import type { DocumentSource } from './document-source.ts'
import type { StoreSources } from './factory-store.ts'

/** A part of the target already holds something and --overwrite was not given: nothing copied. */
export class StoreNotEmptyError extends Error {
  override name = 'StoreNotEmptyError'
}

export interface CopyReport {
  /** keyIds copied, service and user keys. */
  keyIds: string[]
  users: number
  clients: number
  revocations: number
}

/**
 * Copies everything one store holds into another (`npm run store -- import|export`): the rings
 * whole (kids and every earlier key unchanged, so tokens issued before the move still verify),
 * then the users, the clients and the revocations. A target that holds anything is refused
 * before anything is written, unless `overwrite`: then what it held is replaced part by part.
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
  if (!overwrite) await refuseIfNotEmpty(to)
  const keyIds = [
    ...(await copyRings(serviceRings, to.serviceKeys)),
    ...(await copyRings(userRings, to.userKeys)).map((k) => `${k} (user key)`),
  ]
  await replaceDocument(to.users, users.data)
  await replaceDocument(to.clients, clients.data)
  await replaceDocument(to.revocations, revocations.data)
  return {
    keyIds,
    users: users.data.users.length,
    clients: clients.data.clients.length,
    revocations: revocations.data.revoked.length,
  }
}

async function refuseIfNotEmpty(to: StoreSources): Promise<void> {
  const held = [
    [(await to.serviceKeys.loadAll()).size, 'keyId(s)'],
    [(await to.userKeys.loadAll()).size, 'user key(s)'],
    [(await to.users.read()).data.users.length, 'user(s)'],
    [(await to.clients.read()).data.clients.length, 'client(s)'],
    [(await to.revocations.read()).data.revoked.length, 'revocation(s)'],
  ] as const
  const parts = held.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)
  if (parts.length > 0) {
    throw new StoreNotEmptyError(
      `${to.where} holds ${parts.join(', ')} already; --overwrite replaces them (nothing copied)`,
    )
  }
}

async function copyRings(
  rings: Awaited<ReturnType<KeyRingSource['loadAll']>>,
  target: KeyRingSource,
): Promise<string[]> {
  for (const [keyId, ring] of rings) {
    const current = await target.load(keyId)
    const next = { active: ring.active, previous: ring.previous }
    const result = await target.replace(keyId, current?.version, next, undefined)
    if (!result.ok) throw new Error(`${target.where}: ${keyId} changed while it was copied`)
  }
  return [...rings.keys()].sort()
}

const replaceDocument = <T>(target: DocumentSource<T>, data: T) => target.update(() => data)
