import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultLayout, layout, type MemberCount } from './cluster-layout.ts'
import { clusterStatus, startCluster, stopCluster } from './local-cluster.ts'

/**
 * `npm run etcd -- start [--members 1|3] [--client-ports a,b,c] [--peer-ports a,b,c]`,
 * `npm run etcd -- stop [--remove-data]`, `npm run etcd -- status`: a local etcd on loopback, its
 * data in data/etcd (git-ignored). Plain HTTP in this step; TLS with the project's CA is next.
 */
const ROOT = join(import.meta.dirname, '..', '..', 'data', 'etcd')
const USAGE =
  'usage: npm run etcd -- start [--members 1|3] [--client-ports …] [--peer-ports …]\n' +
  '       npm run etcd -- stop [--remove-data]\n' +
  '       npm run etcd -- status'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    members: { type: 'string', default: '1' },
    'client-ports': { type: 'string' },
    'peer-ports': { type: 'string' },
    'remove-data': { type: 'boolean', default: false },
  },
})

const ports = (list: string | undefined): number[] | undefined => list?.split(',').map(Number)

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'start': {
      if (values.members !== '1' && values.members !== '3') throw new Error('--members is 1 or 3')
      const count = Number(values.members) as MemberCount
      const defaults = defaultLayout(count)
      const members = layout(
        count,
        ports(values['client-ports']) ?? defaults.map((m) => m.clientPort),
        ports(values['peer-ports']) ?? defaults.map((m) => m.peerPort),
      )
      const started = Date.now()
      await startCluster({ root: ROOT, members })
      console.log(`etcd: ${count} member(s) healthy in ${Date.now() - started} ms`)
      return printStatus()
    }
    case 'stop':
      await stopCluster(ROOT, { removeData: values['remove-data'] })
      console.log(
        `etcd: stopped${values['remove-data'] ? `, ${ROOT} removed` : `; data kept in ${ROOT}`}`,
      )
      return 0
    case 'status':
      return printStatus()
    default:
      console.error(USAGE)
      return 2
  }
}

/** One line per member; exits 1 when a member is down or unhealthy. */
async function printStatus(): Promise<number> {
  const members = await clusterStatus(ROOT)
  if (members.length === 0) {
    console.log(`etcd: no cluster in ${ROOT} (npm run etcd -- start)`)
    return 1
  }
  console.log(`data: ${ROOT}`)
  for (const m of members) {
    const state =
      m.pid === undefined ? 'stopped' : `pid ${m.pid}, ${m.healthy ? 'healthy' : 'unhealthy'}`
    console.log(`${m.name}: ${m.endpoint} (peer ${m.peerPort}) ${state}`)
  }
  console.log(`endpoints: ${members.map((m) => m.endpoint).join(',')}`)
  return members.every((m) => m.pid !== undefined && m.healthy) ? 0 : 1
}

main(positionals[0]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`etcd: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
