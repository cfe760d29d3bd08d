import { join } from 'node:path'
import { Hono } from 'hono'
import type { KeySetCache, KeySource } from '@jwt-factory/jwt'
import { logQuietly, loopbackOnly, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from './config.ts'
import type { ServiceContext } from './deps.ts'
import type { CachedTokenEntry } from './peers/token-cache.ts'
import { SCENARIO3_PRIVATE_FILE } from './scenarios/scenario3-keys.ts'

/**
 * A key set as the console's key panel shows it: jwt's KeySetCache under the source's name, each
 * member sent (JSON would drop an undefined one): null before the first fetch, and for keys that
 * come from no URL.
 */
export type KeySetState = Pick<KeySource, 'name'> &
  Pick<KeySetCache, 'kids'> & {
    [K in Exclude<keyof KeySetCache, 'kids'>]-?: NonNullable<KeySetCache[K]> | null
  }

/** `GET /control/state` of every service: the factory's key sets it verifies with. */
export interface ServiceState {
  keySets: KeySetState[]
}

/** servicea's: also its cached service tokens and its scenario-3 signing key (null until made). */
export interface CallerState extends ServiceState {
  tokens: CachedTokenEntry[]
  scenario3Key: { kid: string; alg: string; file: string } | null
}

/**
 * GET /control/state, from this machine only: what this service holds for the teaching console.
 * Every service: the factory's key sets it verifies with (what it fetched, when it goes stale).
 * servicea also: its cached service tokens per audience and its scenario-3 signing key. Never a
 * token or a private key, only their kids and times.
 */
export function controlRoutes({ config, callerKeys, userKeys, hops, scenario3 }: ServiceContext) {
  const isCaller = config.name === SCENARIO_CALLER
  return new Hono<ServerEnv>()
    .use('/control/*', loopbackOnly(`${config.name}'s control endpoint`))
    .get('/control/state', (c) => {
      logQuietly(c)
      const keySets = [callerKeys, userKeys].map(keySetState)
      if (!isCaller) return c.json({ keySets } satisfies ServiceState)
      const key = scenario3.signingKey
      const scenario3Key = key
        ? {
            kid: key.kid,
            alg: key.alg,
            file: join(config.scenario3.keysDir, SCENARIO3_PRIVATE_FILE),
          }
        : null
      return c.json({ keySets, tokens: hops.cachedTokens(), scenario3Key } satisfies CallerState)
    })
}

function keySetState(source: KeySource): KeySetState {
  const cache = source.cache?.()
  return {
    name: source.name,
    url: cache?.url ?? null,
    fetchedAt: cache?.fetchedAt ?? null,
    staleAt: cache?.staleAt ?? null,
    kids: cache?.kids ?? [],
  }
}
