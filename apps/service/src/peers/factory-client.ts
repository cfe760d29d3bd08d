import type { VerifyResult } from '@jwt-factory/jwt'
import { BadGatewayError } from '@jwt-factory/server'
import type { HttpClient } from '@jwt-factory/tls'

export const FACTORY_HOP = 'jwt-factory'

export interface IssuedToken {
  token: string
  /** Expiry, in seconds since the epoch. */
  exp: number
}

export interface FactoryClient {
  issueToken(
    keyId: string,
    claims: Record<string, unknown>,
    options: { expired: boolean; requestId: string },
  ): Promise<IssuedToken>
  verify(
    keyId: string,
    input: { token: string; aud: string; sub: string },
    requestId: string,
  ): Promise<VerifyResult>
}

/** The factory as a hop: over HTTPS with the process's one client, failures named jwt-factory. */
export function createFactoryClient(http: HttpClient, baseUrl: string): FactoryClient {
  return {
    async issueToken(keyId, claims, { expired, requestId }) {
      const url = `${baseUrl}/issueToken/${encodeURIComponent(keyId)}${expired ? '?expired=1' : ''}`
      const res = await http.requestJson(FACTORY_HOP, url, {
        body: claims,
        headers: { 'x-request-id': requestId },
      })
      const body = res.body as { access_token?: unknown; expire_time?: unknown } | null
      if (
        res.status !== 200 ||
        typeof body?.access_token !== 'string' ||
        typeof body.expire_time !== 'number'
      ) {
        throw new BadGatewayError(
          FACTORY_HOP,
          `${FACTORY_HOP} did not issue a token for ${keyId} (${res.status}): ${errorMessage(res.body)}`,
        )
      }
      return { token: body.access_token, exp: body.expire_time }
    },

    async verify(keyId, input, requestId) {
      const url = `${baseUrl}/verify/${encodeURIComponent(keyId)}`
      const res = await http.requestJson(FACTORY_HOP, url, {
        body: input,
        headers: { 'x-request-id': requestId },
      })
      const body = res.body as { valid?: unknown } | null
      if ((res.status === 200 || res.status === 403) && typeof body?.valid === 'boolean')
        return res.body as VerifyResult
      throw new BadGatewayError(
        FACTORY_HOP,
        `${FACTORY_HOP} could not verify for ${keyId} (${res.status}): ${errorMessage(res.body)}`,
      )
    },
  }
}

/** The message of a `{ error: { message } }` body, for error texts that say what the hop said. */
export function errorMessage(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message
  return typeof message === 'string' ? message : 'unexpected answer'
}
