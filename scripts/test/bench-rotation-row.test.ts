import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../demo/cluster.ts'
import { CpuMeter } from '../bench/process-stats.ts'
import { ROTATION_KEY_ID, runRotationRow } from '../bench/rotation-row.ts'

/**
 * The bench's write row against a real factory process on its files: every rotation and every
 * retirement answered, and the factory's keys as they were once the row is over.
 */
let cluster: Cluster
beforeAll(async () => {
  cluster = await Cluster.start({
    logLevel: 'warn',
    without: ['servicea', 'serviceb', 'servicec'],
    env: { 'jwt-factory': { STORE: 'files' } },
  })
})
afterAll(() => cluster?.stop())

const jwksKids = async () => {
  const res = await cluster.https.requestJson(
    'jwt-factory',
    `${cluster.urls.factoryHttps}/.well-known/jwks.json`,
  )
  return ((res.body as { keys: { kid: string }[] }).keys ?? []).map((k) => k.kid).sort()
}

describe('the bench rotation row (scripts/bench/rotation-row.ts)', () => {
  it('rotates and retires one at a time, all answered, and leaves the JWKS as it found it', async () => {
    const before = await jwksKids()
    const row = await runRotationRow(cluster, { durationMs: 500, cpu: new CpuMeter(new Map()) })

    expect(row).toMatchObject({ id: 'rotate', connections: 1, non2xx: {}, errors: {} })
    // POST then DELETE: the writes come in pairs, and each was timed.
    expect(row.requests).toBeGreaterThanOrEqual(2)
    expect(row.p50Ms).toBeGreaterThan(0)
    expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms)
    expect(await jwksKids()).toEqual(before)
    const gone = await cluster.https.requestJson(
      'jwt-factory',
      `${cluster.urls.factoryHttps}/keys/${ROTATION_KEY_ID}/any-kid`,
      { method: 'DELETE' },
    )
    expect(gone.status).toBe(404) // the keyId was removed, not only emptied
  })
})
