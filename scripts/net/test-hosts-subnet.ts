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

/**
 * A /24 in 10.0.0.0/8 (RFC 1918) that nothing in this namespace routes to but its default route,
 * so a "client" address on it takes no traffic from a real network. The search starts at one
 * derived from the pid, so parallel runs start apart; a run holding one has its route here and
 * is skipped.
 */
export async function freeSubnet(): Promise<Subnet> {
  const routed = await routedPrefixes()
  const start = process.pid % 0xffff
  for (let i = 0; i < 0xffff; i++) {
    const n = (start + i) % 0xffff
    const base = `10.${n >> 8}.${n & 0xff}`
    const network = toInt(`${base}.0`)
    if (!routed.some((r) => overlaps(r, { network, length: 24 }))) return subnet24(base)
  }
  throw new Error('every /24 of 10.0.0.0/8 is routed in this namespace: no subnet for test hosts')
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
