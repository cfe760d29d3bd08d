import { Etcd3 } from 'etcd3'
import { describe, expect, it } from 'vitest'
import { ETCD_AVAILABLE, etcdSuiteTitle, randomPrefix, startTestEtcd } from './etcd-test-cluster.ts'

const TITLE = etcdSuiteTitle('the etcd test cluster')

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  it('serves, keeps its data across a member restart, and stops', async () => {
    const etcd = await startTestEtcd({ members: 1 })
    const client = new Etcd3({ hosts: etcd.endpoints })
    try {
      const key = `${randomPrefix()}probe`
      await client.put(key).value('kept')
      await etcd.stopMember(0)
      await etcd.startMember(0)
      expect(await client.get(key).string()).toBe('kept')
    } finally {
      client.close()
      await etcd.stop()
    }
    expect(randomPrefix()).toMatch(/^test-[0-9a-f-]{36}\/$/)
  }, 30_000)
})
