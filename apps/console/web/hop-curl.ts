import type { CurlFiles, ProcessInfo } from '@jwt-factory/console/api'
import { shellQuote, urlWord } from '@jwt-factory/console/curl'
import { tokenAt } from './hop-selection.ts'
import type { Hop } from './hop-tree.ts'

export interface HopCurlContext {
  /** The answer's curl: the console's own request, span `1`. */
  runCurl?: string
  processes?: readonly ProcessInfo[]
  /** The files the commands name (the console's GET /control/state says where). */
  files?: CurlFiles
  /** The run's hops, flattened: where a hop's token is found in full (hop-selection.ts). */
  hops?: readonly Hop[]
}

/** RFC 8693's names, as the services send them. */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

/**
 * The request a hop made, as a curl command the learner can paste at the repository's root and
 * get the same answer: span `1` is the console's own request (the answer's curl); a call to a
 * service is sent with the token it carried, a call to the factory with the body the service
 * sent (servicea's token request, a verification, a token exchange with the exchanging
 * service's client secret read from its file, the user's login with curl asking the password).
 * Always to the process's HTTPS port, trusting the project's CA. A step inside one process
 * (signing, a check) made no request, and has none.
 */
export function hopCurl(hop: Hop, context: HopCurlContext): string | undefined {
  if (hop.id === '1') return context.runCurl
  const [method, path] = hop.call.split(' ')
  const port = context.processes?.find((p) => p.name === hop.to)?.ports[1]
  const { files } = context
  if (hop.kind !== 'call' || !path?.startsWith('/') || !files || port === undefined) return
  const args =
    hop.to === 'jwt-factory'
      ? factoryRequest(hop, path, context)
      : serviceRequest(hop, path, context)
  if (!args) return
  const url = `https://localhost:${port}${args.path ?? path}`
  const flags = method === 'GET' ? [] : ['-X', method!]
  return ['curl', '--cacert', shellQuote(files.ca), ...flags, ...args.flags, urlWord(url)].join(' ')
}

interface Request {
  flags: string[]
  /** The path as sent, when the span's call leaves part of it out. */
  path?: string
}

/** A call to serviceb or servicec: its token as the bearer (and scenario 5's user token beside it). */
function serviceRequest(
  hop: Hop,
  path: string,
  { hops = [] }: HopCurlContext,
): Request | undefined {
  const compact = hop.token?.compact
  if (!compact) return
  const flags = ['-H', shellQuote(`Authorization: Bearer ${compact}`)]
  const user = hops.find((h) => h.token?.source === 'user')?.token?.compact
  if (path.startsWith('/scenario5-server') && user)
    flags.push('-H', shellQuote(`X-User-Authorization: Bearer ${user}`))
  return { flags }
}

/** A call to the factory, with the body the service sent it. */
function factoryRequest(hop: Hop, path: string, context: HopCurlContext): Request | undefined {
  const token = tokenAt(hop, context.hops ?? [])
  const json = (body: object) => [
    '-H',
    'content-type:application/json',
    '-d',
    shellQuote(JSON.stringify(body)),
  ]
  if (path.startsWith('/issueToken/')) {
    const { aud, exp } = token?.claims ?? {}
    if (typeof aud !== 'string') return
    // servicea asked for the expired variant: the token came back expired.
    const expired =
      typeof exp === 'number' && hop.startedAt !== undefined && exp * 1000 < hop.startedAt
    return { flags: json({ aud }), ...(expired ? { path: `${path}?expired=1` } : {}) }
  }
  if (path.startsWith('/verify/')) {
    if (!token?.compact) return
    return {
      flags: json({ token: token.compact, aud: hop.from, sub: path.slice('/verify/'.length) }),
    }
  }
  if (path === '/login') {
    const { sub, aud } = token?.claims ?? {}
    if (typeof sub !== 'string' || typeof aud !== 'string') return
    // The user name alone: curl asks for the password, which the page never holds.
    return { flags: ['-u', shellQuote(sub), '-H', shellQuote(`X-Audience: ${aud}`)] }
  }
  if (path === '/token') return exchangeRequest(hop, context)
  return undefined
}

/**
 * A token exchange (RFC 8693): the exchanging service's client credentials from its secret's
 * file, the token it was handed (the request it was answering carried it) and the audience it
 * asked for, which the span's call names.
 */
function exchangeRequest(
  hop: Hop,
  { hops = [], files, processes }: HopCurlContext,
): Request | undefined {
  const audience = /\(token exchange for ([\w-]+)\)$/.exec(hop.call)?.[1]
  const parent = hops.find((h) => h.children.includes(hop))
  const subject = parent && tokenAt(parent, hops)?.compact
  // The name picks the file read and sits in the command: one of the processes, and nothing else.
  const known = processes?.some((p) => p.name === hop.from) && /^[a-z][\w-]*$/.test(hop.from)
  if (!audience || !subject || !files || !known) return
  const secret = `${files.clientSecrets}/${hop.from}`
  const form = {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subject,
    subject_token_type: ACCESS_TOKEN,
    audience,
  }
  return {
    flags: [
      '-u',
      `"${hop.from}:$(cat ${shellQuote(secret)})"`,
      ...Object.entries(form).flatMap(([name, value]) => ['-d', shellQuote(`${name}=${value}`)]),
    ],
  }
}
