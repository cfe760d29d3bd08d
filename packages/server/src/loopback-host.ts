import { isIPv4 } from 'node:net'

/**
 * Whether a host name or address is this machine only: a HOST that keeps a listener off the
 * network, or a peer whose request crossed none. 0.0.0.0 and :: are every interface, not loopback;
 * 127.0.0.0/8 is loopback as a whole (RFC 1122 §3.2.1.3).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  return isIPv4(h) && h.startsWith('127.')
}
