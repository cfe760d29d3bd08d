import { randomInt } from 'node:crypto'
import { ip } from './test-hosts-ip.ts'

/** A /24 for the test hosts: its CIDR, and the address of host number 1…254 on it. */
export interface Subnet {
  readonly cidr: string
  address(host: number): string
}

export function subnet24(base: string): Subnet {
  const octets = base.split('.').map(Number)
  if (octets.length !== 3 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new TypeError(`not the first three octets of a /24: ${JSON.stringify(base)}`)
  }
  return {
    cidr: `${base}.0/24`,
    address(host) {
      if (!Number.isInteger(host) || host < 1 || host > 254)
        throw new TypeError(`host number must be 1…254, got ${host}`)
      return `${base}.${host}`
    },
  }
}

/** The /24s of 198.18.0.0/15. */
const SUBNETS = 512

/**
 * A /24 in 198.18.0.0/15 (RFC 2544's benchmarking range, which no real network numbers its hosts
 * in) that nothing in this namespace routes to but its default route, so a "client" link on it
 * never hides a real host. The search starts at a random one, so parallel runs (in other pid
 * namespaces too) start apart; a run holding one has its route here and is skipped.
 */
export async function freeSubnet(): Promise<Subnet> {
  const routed = await routedPrefixes()
  const start = randomInt(SUBNETS)
  for (let i = 0; i < SUBNETS; i++) {
    const n = (start + i) % SUBNETS
    const base = `198.${18 + (n >> 8)}.${n & 0xff}`
    const network = toInt(`${base}.0`)
    if (!routed.some((r) => overlaps(r, { network, length: 24 }))) return subnet24(base)
  }
  throw new Error(
    'every /24 of 198.18.0.0/15 is routed in this namespace: no subnet for test hosts',
  )
}

/** The route of this namespace (other than the default) that covers part of `subnet`, if any. */
export async function routeOverlapping(subnet: Subnet): Promise<string | undefined> {
  const [network, length] = subnet.cidr.split('/') as [string, string]
  const prefix = { network: toInt(network), length: Number(length) }
  return (await routedPrefixes()).find((r) => overlaps(r, prefix))?.text
}

interface Prefix {
  network: number
  length: number
  text?: string
}

async function routedPrefixes(): Promise<Prefix[]> {
  const routes = JSON.parse(
    (await ip(['-json', '-4', 'route', 'show', 'table', 'all'])) || '[]',
  ) as { dst: string }[]
  return routes
    .filter((r) => r.dst !== 'default')
    .map((r) => {
      const [network, length = '32'] = r.dst.split('/') as [string, string?]
      return { network: toInt(network), length: Number(length), text: r.dst }
    })
}

function overlaps(a: Prefix, b: Prefix): boolean {
  const length = Math.min(a.length, b.length)
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0
}

function toInt(address: string): number {
  return address.split('.').reduce((n, octet) => ((n << 8) | Number(octet)) >>> 0, 0)
}
