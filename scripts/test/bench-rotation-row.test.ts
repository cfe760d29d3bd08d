import { Etcd3 } from 'etcd3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../demo/cluster.ts'
import { BenchStoreRunner } from '../bench/bench-store.ts'
import { CpuMeter } from '../bench/process-stats.ts'
import { ROTATION_KEY_ID, runRotationRow } from '../bench/rotation-row.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
} from '../../apps/jwt-factory/src/stores/etcd/etcd-test-cluster.ts'

/**
 * The bench's write row against a real factory process, on its files and on a real etcd member
 * as `npm run bench -- --store etcd` starts it: every rotation and every retirement answered,
 * and the factory's keys as they were once the row is over. etcd's is skipped only without etcd.
 */

for (const store of ['files', 'etcd'] as const) {
  const title = `the bench rotation row (scripts/bench/rotation-row.ts), STORE=${store}`
  describe.skipIf(store === 'etcd' && !ETCD_AVAILABLE)(
    store === 'etcd' ? etcdSuiteTitle(title) : title,
    () => {
      const runner = new BenchStoreRunner()
      let cluster: Cluster
      let factoryEnv: Record<string, string>
      beforeAll(async () => {
        ;({ factoryEnv } = await runner.start(store))
        cluster = await Cluster.start({
          logLevel: 'warn',
          without: ['servicea', 'serviceb', 'servicec'],
          env: { 'jwt-factory': factoryEnv },
        })
      })
      afterAll(async () => {
        await cluster?.stop()
        await runner.stop()
      })

      const call = (path: string, method = 'GET') =>
        cluster.https.requestJson('jwt-factory', `${cluster.urls.factoryHttps}${path}`, { method })
      const jwksKids = async () =>
        ((await call('/.well-known/jwks.json')).body as { keys: { kid: string }[] }).keys
          .map((k) => k.kid)
          .sort()

      it('rotates and retires one at a time, all answered, and leaves the JWKS as it found it', async () => {
        const before = await jwksKids()
        const row = await runRotationRow(cluster, { durationMs: 500, cpu: new CpuMeter(new Map()) })

        expect(row).toMatchObject({ id: 'rotate', connections: 1, non2xx: {}, errors: {} })
        // POST then DELETE: the writes come in pairs, and each was timed.
        expect(row.requests).toBeGreaterThanOrEqual(2)
        expect(row.p50Ms).toBeGreaterThan(0)
        expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms)
        expect(await jwksKids()).toEqual(before)
        // The keyId was removed, not only emptied.
        expect((await call(`/keys/${ROTATION_KEY_ID}/any-kid`, 'DELETE')).status).toBe(404)
      })

      if (store === 'etcd')
        it('on etcd, the rings are records under the bench prefix', async () => {
          const etcd = new Etcd3({ hosts: factoryEnv.ETCD_ENDPOINTS! })
          try {
            const keys = await etcd.getAll().prefix(`${factoryEnv.ETCD_PREFIX}keys/`).keys()
            expect(keys.sort()).toEqual(
              ['servicea', 'serviceb', 'servicec'].map((k) => `bench/keys/${k}`),
            )
          } finally {
            etcd.close()
          }
        })
    },
  )
}
