import type { Span } from '@jwt-factory/trace'
import type { ProcessInfo } from '@jwt-factory/console/api'
import type { Hop } from './hop-tree.ts'

export interface HopCurlContext {
  /** The answer's curl: the console's own request, span `1`. */
  runCurl?: string
  processes?: readonly ProcessInfo[]
  /** The run's spans, for the user token scenario 5 sends beside servicea's. */
  spans?: readonly Span[]
}

/**
 * The request a hop made, as a curl command the learner can paste at the repository's root:
 * span `1` is the console's own request (the answer's curl); a hop to a service that carried a
 * token is rebuilt with that token, against the service's HTTPS port, trusting the same CA file
 * as the answer's curl. Other hops (the factory's, which authenticate servicea itself) have none.
 */
export function hopCurl(hop: Hop, context: HopCurlContext): string | undefined {
  if (hop.id === '1') return context.runCurl
  const compact = hop.token?.compact
  const [method, path] = hop.call.split(' ')
  // As the server's curl wrote it: single-quoted when the path has a space or a quote.
  const ca = context.runCurl?.match(/--cacert ('(?:[^']|'\\'')*'|\S+)/)?.[1]
  const port = context.processes?.find((p) => p.name === hop.to)?.ports[1]
  if (!compact || method !== 'GET' || !path?.startsWith('/') || !ca || port === undefined)
    return undefined
  const headers = [`-H 'Authorization: Bearer ${compact}'`]
  const user = context.spans?.find((span) => span.token?.source === 'user')?.token?.compact
  if (path.startsWith('/scenario5-server') && user)
    headers.push(`-H 'X-User-Authorization: Bearer ${user}'`)
  return ['curl', '--cacert', ca, ...headers, `"https://localhost:${port}${path}"`].join(' ')
}
