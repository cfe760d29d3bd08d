import { isIPv4 } from 'node:net'
import { ip, IP_COMMAND } from './test-hosts-ip.ts'
import { namespaceNames, removeLeftoverHosts, unlessGone } from './test-hosts-leftovers.ts'
import { newRunName } from './test-hosts-names.ts'
import { createRunRecord, type OpenRunRecord } from './test-hosts-records.ts'
import { routeOverlapping, subnet24, type Subnet } from './test-hosts-subnet.ts'

/**
 * Hosts for a test on one machine: a network namespace per host, each with its own address, its
 * own loopback and one link to a switch (a namespace holding a Linux bridge), so processes bound
 * to one host's address reach the others across a real network stack, and a host can be cut off
 * by taking its link down. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); see testHostsAvailable.
 */
export interface TestHostsOptions {
  /** The hosts' subnet (one /24) and the address each host has on it. */
  subnet: Subnet
  /** Host name → its address. Names: a lowercase letter, then letters or digits, 15 at most. */
  hosts: Readonly<Record<string, string>>
  /**
   * An address on the subnet for this process's own namespace: it then reaches every host
   * directly (a "client" host), and so do the processes it starts outside the hosts.
   */
  client?: string
  /**
   * The run's name: its client link's, and the prefix of its namespaces'. A new random one by
   * default (test-hosts-names.ts). A name in use makes the setup fail, leaving what holds it.
   */
  name?: string
}

export interface TestHosts {
  readonly subnet: Subnet
  /** The network namespace of `host`, for `ip netns exec` (spawnNode's `netns`). */
  netns(host: string): string
  address(host: string): string
  /** Every namespace made, the switch's included. */
  readonly namespaces: readonly string[]
  /** Takes the host's link down: nothing goes in or out, as with its cable pulled. */
  cut(host: string): Promise<void>
  /** Brings it up again. */
  restore(host: string): Promise<void>
  /** Deletes every namespace made (their veths with them); safe to call again. */
  close(): Promise<void>
}

/** A host's name, or a run's: an interface name too, so 15 characters at most. */
const NAME = /^[a-z][a-z0-9]{0,14}$/
/** Names of the switch's own interfaces, which hosts' ports must not take. */
const RESERVED = new Set(['br0', 'client', 'lo'])
/** Each host's end of its link, inside its own namespace. */
const HOST_LINK = 'eth0'
const BRIDGE = 'br0'
const CLIENT_PORT = 'client'

/** Makes the hosts; a failure half-way removes what was made before it throws. */
export async function createTestHosts(options: TestHostsOptions): Promise<TestHosts> {
  const { subnet, hosts, client } = options
  checkOptions(options)
  await removeLeftoverHosts()
  if (client !== undefined) {
    const route = await routeOverlapping(subnet)
    if (route) throw new Error(`${subnet.cidr} overlaps the route ${route} of this namespace`)
  }
  const run = options.name ?? newRunName()
  const record = await createRunRecord(run)
  const switchNs = `${run}-switch`
  const netnsOf = (host: string) => `${run}-${host}`
  // Only what this run made, each listed once its command succeeded: a name that was in use
  // (ip's "File exists") is another's, never deleted here.
  const made: string[] = []
  let clientLink = false
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      // The client link first: deleted by name it goes at once, while a deleted namespace's links
      // go only once the kernel has torn the namespace down, a moment later.
      if (clientLink) await ip(['link', 'delete', 'dev', run]).catch(unlessGone)
      for (const ns of [...made].reverse()) await ip(['netns', 'delete', ns]).catch(unlessGone)
      await record.remove()
    })())
  const addNetns = async (ns: string) => {
    await ip(['netns', 'add', ns])
    made.push(ns)
    await record.addNamespace(ns)
    await ip(['-n', ns, 'link', 'set', 'dev', 'lo', 'up'])
  }
  const prefixLength = subnet.cidr.split('/')[1]!
  try {
    await addNetns(switchNs)
    await ip(['-n', switchNs, 'link', 'add', 'name', BRIDGE, 'type', 'bridge'])
    await ip(['-n', switchNs, 'link', 'set', 'dev', BRIDGE, 'up'])
    for (const [host, address] of Object.entries(hosts)) {
      const ns = netnsOf(host)
      await addNetns(ns)
      // Made in the switch with its other end straight in the host: no name in this namespace.
      const peerThere = ['peer', 'name', HOST_LINK, 'netns', ns]
      await ip(['-n', switchNs, 'link', 'add', 'name', host, 'type', 'veth', ...peerThere])
      await ip(['-n', switchNs, 'link', 'set', 'dev', host, 'master', BRIDGE, 'up'])
      await ip(['-n', ns, 'addr', 'add', `${address}/${prefixLength}`, 'dev', HOST_LINK])
      await ip(['-n', ns, 'link', 'set', 'dev', HOST_LINK, 'up'])
    }
    if (client !== undefined) {
      const peerHere = ['peer', 'name', run, 'netns', String(process.pid)]
      await ip(['-n', switchNs, 'link', 'add', 'name', CLIENT_PORT, 'type', 'veth', ...peerHere])
      clientLink = true
      await ip(['-n', switchNs, 'link', 'set', 'dev', CLIENT_PORT, 'master', BRIDGE, 'up'])
      await ip(['addr', 'add', `${client}/${prefixLength}`, 'dev', run])
      await ip(['link', 'set', 'dev', run, 'up'])
    }
  } catch (err) {
    await close()
    throw err
  }
  const known = (host: string) => {
    if (!(host in hosts)) throw new TypeError(`no test host ${JSON.stringify(host)}`)
    return host
  }
  const link = (host: string, state: 'up' | 'down') =>
    ip(['-n', netnsOf(known(host)), 'link', 'set', 'dev', HOST_LINK, state]).then(() => {})
  return {
    subnet,
    netns: (host) => netnsOf(known(host)),
    address: (host) => hosts[known(host)]!,
    namespaces: [...made],
    cut: (host) => link(host, 'down'),
    restore: (host) => link(host, 'up'),
    close,
  }
}

function checkOptions({ subnet, hosts, client, name }: TestHostsOptions): void {
  const names = Object.keys(hosts)
  if (names.length === 0) throw new TypeError('hosts must name at least one host')
  const addresses = [...Object.values(hosts), ...(client === undefined ? [] : [client])]
  const base = subnet.address(1).replace(/\.1$/, '.')
  for (const host of names) {
    if (!NAME.test(host) || RESERVED.has(host))
      throw new TypeError(`not a test host name: ${JSON.stringify(host)} (a-z then a-z0-9, ≤ 15)`)
  }
  if (name !== undefined && !NAME.test(name))
    throw new TypeError(
      `not a test hosts run name: ${JSON.stringify(name)} (a-z then a-z0-9, ≤ 15)`,
    )
  for (const address of addresses) {
    if (!isIPv4(address) || !address.startsWith(base) || /\.(0|255)$/.test(address))
      throw new TypeError(`${address} is not a host address on ${subnet.cidr}`)
  }
  if (new Set(addresses).size !== addresses.length)
    throw new TypeError(`each test host needs an address of its own: ${addresses.join(', ')}`)
}

/**
 * Why test hosts cannot be made here (no ip command, not root, no bridge or veth in the kernel),
 * or undefined when they can: a probe namespace with a bridge and a veth, made and deleted.
 */
export async function testHostsAvailable(): Promise<string | undefined> {
  if (IP_COMMAND === undefined) return 'no ip command (iproute2)'
  const run = newRunName()
  const probe = `${run}-probe`
  let record: OpenRunRecord | undefined
  let made = false
  try {
    record = await createRunRecord(run)
    await ip(['netns', 'add', probe])
    made = true
    await record.addNamespace(probe)
    await ip(['-n', probe, 'link', 'add', 'name', BRIDGE, 'type', 'bridge'])
    await ip(['-n', probe, 'link', 'add', 'name', 'probe', 'type', 'veth', 'peer', 'name', 'p2'])
    return undefined
  } catch (err) {
    const root = process.getuid?.() === 0 ? '' : 'not root: '
    return `${root}${(err as Error).message}`
  } finally {
    if (made) await ip(['netns', 'delete', probe])
    await record?.remove()
  }
}

export { freeSubnet, subnet24, type Subnet } from './test-hosts-subnet.ts'
export { namespaceNames, removeLeftoverHosts }
