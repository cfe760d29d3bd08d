import type { Logger } from '@jwt-factory/server'
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3'
import type { KvBackend, KvEntry, KvExpectation, KvWrite } from '../kv/kv-backend.ts'
import { StoreUnavailableError } from '../store-unavailable.ts'
import { etcdClientOptions, type EtcdTls } from './etcd-client-options.ts'
import { watchPrefix, type EtcdWatch } from './etcd-watch.ts'

export interface EtcdBackendOptions {
  endpoints: readonly string[]
  /** Every key of the factory lives under it (ETCD_PREFIX): `jwt-factory/`. */
  prefix: string
  /** How long one call may take, retries included, before it is StoreUnavailableError. */
  timeoutMs: number
  tls?: EtcdTls
  logger: Logger
}

/**
 * The KvBackend on etcd v3 (the etcd3 client over gRPC). Nothing is asked of etcd here: the
 * first call connects, so a factory starts (and says why it cannot read) even with etcd down.
 * Values are never logged; keys may be.
 */
export async function openEtcdBackend(options: EtcdBackendOptions): Promise<KvBackend> {
  // Loaded here, not at the top: the bundled factory must not load gRPC when STORE=files.
  const [etcd3, cockatiel] = await Promise.all([import('etcd3'), import('cockatiel')])
  const { prefix, timeoutMs, logger } = options
  const description = `etcd ${options.endpoints.join(',')}`
  const client = new etcd3.Etcd3(etcdClientOptions({ etcd3, cockatiel }, options))
  const namespace = client.namespace(prefix)
  const watches = new Set<EtcdWatch>()

  /** The one place etcd3's failures are translated: unreachable in time, or a bug (rethrown). */
  const reach = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (err) {
      // The budget ran out (cockatiel's own isTaskCancelledError tests the wrong property).
      if (err instanceof cockatiel.TaskCancelledError) {
        throw new StoreUnavailableError(description, `no answer within ${timeoutMs} ms`, {
          cause: err,
        })
      }
      if (err instanceof Error && etcd3.isRecoverableError(err)) {
        throw new StoreUnavailableError(description, err.message, { cause: err })
      }
      throw err
    }
  }

  /** One lease per distinct ttl; granted ones are added to `leases` as they come. */
  const grantLeases = async (writes: readonly KvWrite[], leases: Map<number, string>) => {
    const ttls = new Set(writes.flatMap((w) => (w.ttlSeconds === undefined ? [] : [w.ttlSeconds])))
    for (const ttl of ttls) {
      const { ID } = await namespace.leaseClient.leaseGrant({ TTL: leaseSeconds(ttl) })
      leases.set(ttl, ID)
    }
  }
  const revokeLeases = async (leases: Map<number, string>) => {
    for (const ID of leases.values()) {
      // Left behind, a lease only ends with its ttl, holding nothing.
      await namespace.leaseClient.leaseRevoke({ ID }).catch(() => {})
    }
  }

  const operation = (write: KvWrite, leases: Map<number, string>): Promise<IRequestOp> => {
    if (write.value === undefined) return namespace.delete().key(write.key).op()
    const put = namespace.put(write.key).value(write.value)
    const lease = write.ttlSeconds === undefined ? undefined : leases.get(write.ttlSeconds)
    return (lease === undefined ? put : put.lease(lease)).op()
  }

  const prefixed = (key: string) => Buffer.from(`${prefix}${key}`)
  /** Absent is etcd's create revision 0; present, the revision read (its mod revision). */
  const compare = (expectation: KvExpectation): ICompare =>
    expectation.revision === undefined
      ? { key: prefixed(expectation.key), target: 'Create', result: 'Equal', create_revision: 0 }
      : {
          key: prefixed(expectation.key),
          target: 'Mod',
          result: 'Equal',
          mod_revision: expectation.revision,
        }

  return {
    description,

    get: (key) =>
      reach(async () => {
        // A single get leaves the prefix on the key it answers; the key asked is the same one.
        const [kv] = (await namespace.get(key).exec()).kvs
        return kv && { ...entry(kv), key }
      }),

    list: (keyPrefix) =>
      reach(async () => {
        const range = namespace.getAll().prefix(keyPrefix).sort('Key', 'Ascend')
        return (await range.exec()).kvs.map(entry)
      }),

    commit: (expect, writes) =>
      reach(async () => {
        const leases = new Map<number, string>()
        let sent = false
        try {
          await grantLeases(writes, leases)
          const success = await Promise.all(writes.map((w) => operation(w, leases)))
          sent = true
          const { succeeded } = await namespace.kv.txn({
            compare: expect.map(compare),
            success,
            failure: [],
          })
          // A failed compare keeps its leases too: etcd3 retries a txn it lost touch with, and
          // an earlier try may have landed with them, so revoking would delete what it wrote
          // (a claim, which would then be claimed again). They end with their ttl.
          return succeeded
        } catch (err) {
          // Only leases of a txn never sent are given back (without waiting: the store may be
          // gone): a txn that timed out may still be applied, and revoking would delete it.
          if (!sent) void revokeLeases(leases)
          throw err
        }
      }),

    watch(keyPrefix, onChange) {
      const watch = watchPrefix({
        namespace,
        prefix: keyPrefix,
        onChange,
        store: description,
        logger,
      })
      watches.add(watch)
      return {
        close() {
          watches.delete(watch)
          watch.close()
        },
      }
    },

    async close() {
      // Watches first: a watch outliving its client would try to reconnect forever.
      await Promise.all([...watches].map((w) => w.stop()))
      watches.clear()
      client.close()
    },
  }
}

const entry = (kv: IKeyValue): KvEntry => ({
  key: kv.key.toString(),
  value: kv.value.toString(),
  revision: kv.mod_revision,
})

/** etcd counts leases in whole seconds; rounded up, a claim never ends before its time. */
function leaseSeconds(ttl: number): number {
  if (!(ttl > 0)) throw new TypeError(`a ttl must be a positive number of seconds, not ${ttl}`)
  return Math.ceil(ttl)
}
