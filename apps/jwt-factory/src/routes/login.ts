import { Hono } from 'hono'
import { addLogFields, BadRequestError, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseBasicCredentials } from '../login/basic-credentials.ts'
import { clientAddress } from '../login/client-address.ts'
import type { AuthMethod } from '../login/user-token.ts'
import { requestedTtl } from './tokens.ts'

/**
 * AppMesh's POST /login: Basic credentials (or the bare base64), optional X-Expire-Seconds
 * (capped), X-Audience (one of USER_AUDIENCES; the first when absent) and X-Totp-Code. A user
 * with TOTP who sent no code gets a 428 challenge for POST /totp/validate.
 */
export function loginRoutes({ config, loginFlow }: FactoryContext) {
  return new Hono<ServerEnv>().post('/login', async (c) => {
    const { name, password } = parseBasicCredentials(c.req.header('authorization'))
    const audience = readAudience(c.req.header('x-audience'), config.userAudiences)
    const ttlSeconds = requestedTtl(c, config.tokenTtlSeconds, config.maxTokenTtlSeconds)
    const code = c.req.header('x-totp-code')?.trim()
    const address = clientAddress(c)
    // Tokens, codes and challenges must not be cached by anything between (RFC 6749 §5.1).
    c.header('Cache-Control', 'no-store')

    const user = await loginFlow.checkPassword(name, password, address)
    addLogFields(c, { user: user.name, aud: audience })
    const hasTotp = user.totpSecret !== undefined
    if (hasTotp && !code) {
      addLogFields(c, { totp: 'challenge' })
      return c.json(await loginFlow.startTotp({ user: user.name, audience, ttlSeconds }), 428)
    }
    if (hasTotp && code) await loginFlow.checkTotp(user, code, address)
    const amr: AuthMethod[] = hasTotp ? ['pwd', 'otp'] : ['pwd']
    const response = await loginFlow.issue(user, { audience, ttlSeconds, amr })
    addLogFields(c, { amr: amr.join(' ') })
    return c.json(response)
  })
}

function readAudience(header: string | undefined, allowed: readonly string[]): string {
  const audience = header?.trim()
  if (audience === undefined || audience === '') return allowed[0]!
  if (!allowed.includes(audience)) {
    throw new BadRequestError(`X-Audience must be one of ${allowed.join(', ')}`)
  }
  return audience
}
