/**
 * Where each member of a local etcd cluster listens: its name, its client port (the etcd API) and
 * its peer port (raft between members). Everything is on loopback; no TLS in this step.
 */
export interface EtcdMember {
  name: string
  clientPort: number
  peerPort: number
}

export type MemberCount = 1 | 3

/** etcd's own convention for a local cluster; none of them is a port of the demo. */
const DEFAULT_CLIENT_PORTS = [2379, 22379, 32379]
const DEFAULT_PEER_PORTS = [2380, 22380, 32380]

const HOST = '127.0.0.1'

export const clientUrl = (member: EtcdMember): string => `http://${HOST}:${member.clientPort}`
export const peerUrl = (member: EtcdMember): string => `http://${HOST}:${member.peerPort}`

const memberName = (index: number): string => `etcd-${index + 1}`

/** The layout `npm run etcd -- start` uses unless told other ports. */
export function defaultLayout(count: MemberCount): EtcdMember[] {
  return layout(count, DEFAULT_CLIENT_PORTS, DEFAULT_PEER_PORTS)
}

export function layout(
  count: MemberCount,
  clientPorts: readonly number[],
  peerPorts: readonly number[],
): EtcdMember[] {
  if (clientPorts.length < count || peerPorts.length < count) {
    throw new TypeError(`${count} members need ${count} client ports and ${count} peer ports`)
  }
  return Array.from({ length: count }, (_, i) => ({
    name: memberName(i),
    clientPort: clientPorts[i]!,
    peerPort: peerPorts[i]!,
  }))
}

/** etcd's arguments for one member of the cluster `members`, its data in `dataDir`. */
export function memberArgs(member: EtcdMember, members: readonly EtcdMember[], dataDir: string) {
  const initialCluster = members.map((m) => `${m.name}=${peerUrl(m)}`).join(',')
  return [
    `--name=${member.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl(member)}`,
    `--advertise-client-urls=${clientUrl(member)}`,
    `--listen-peer-urls=${peerUrl(member)}`,
    `--initial-advertise-peer-urls=${peerUrl(member)}`,
    // Read only when the data folder is new; a restarted member finds its cluster in its data.
    `--initial-cluster=${initialCluster}`,
    '--initial-cluster-state=new',
    '--initial-cluster-token=jwt-factory-etcd',
    // etcd 3.4's default logger is deprecated and says so at every start.
    '--logger=zap',
    '--log-outputs=stderr',
  ]
}
