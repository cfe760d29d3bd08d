import type { HttpRow } from './http-rows.ts'
import type { LoadAgent } from './load.ts'
import type { ReferenceServers } from './reference-servers.ts'

/** The body the factory's issue row sends, and its headers: the same bytes on the wire. */
const AUD_BODY = JSON.stringify({ aud: 'serviceb' })
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' }

/**
 * The reference rows, driven like the factory's: the floor's signing and verifying beside
 * issue (2) and verify (3), and the peer issuing the same audience with the client-credentials
 * grant (RFC 6749 §4.4), a form as OAuth token endpoints take.
 */
export function referenceRows(servers: ReferenceServers, bareToken: string): HttpRow[] {
  const { bare, peer } = servers.origins
  return [
    {
      id: 'bare-sign',
      label: 'bare node:https POST /sign (https)',
      target: {
        origin: bare,
        method: 'POST',
        path: '/sign',
        headers: JSON_HEADERS,
        body: AUD_BODY,
      },
      alsoSingle: false,
    },
    {
      id: 'bare-verify',
      label: 'bare node:https POST /verify (https)',
      target: {
        origin: bare,
        method: 'POST',
        path: '/verify',
        headers: JSON_HEADERS,
        body: JSON.stringify({ token: bareToken }),
      },
      alsoSingle: false,
    },
    {
      id: 'peer-token',
      label: 'oauth2-mock-server POST /token (https)',
      target: {
        origin: peer,
        method: 'POST',
        path: '/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', aud: 'serviceb' }).toString(),
      },
      alsoSingle: false,
    },
  ]
}

/** A token of the bare server's, for its verify row. */
export async function issueBareToken(agent: LoadAgent, servers: ReferenceServers): Promise<string> {
  const res = await agent.request({
    origin: servers.origins.bare,
    method: 'POST',
    path: '/sign',
    headers: JSON_HEADERS,
    body: AUD_BODY,
  })
  const token = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`the bare server did not sign (${res.statusCode})`)
  return token
}
