import type { KeySource } from '@jwt-factory/jwt'
import type { Context } from 'hono'
import type { Logger } from '@jwt-factory/server'
import type { HttpClient } from '@jwt-factory/http-client'
import type { ServiceConfig } from './config.ts'
import type { HopClient } from './peers/hop-client.ts'
import type { Scenario3Keys } from './scenarios/scenario3-keys.ts'

/** What a service app is built from; tests pass their own. */
export interface ServiceDeps {
  /** The process's one HTTPS client (CA-verifying, keep-alive). */
  http: HttpClient
  logger: Logger
  scenario3: Scenario3Keys
  /** The OAuth client secret of CLIENT_SECRET_FILE, read at start; absent: no token exchange. */
  clientSecret?: string
}

export interface ServiceContext extends ServiceDeps {
  config: ServiceConfig
  /** The factory, serviceb and servicec as hops, with servicea's cached service tokens. */
  hops: HopClient
  /** servicea's keys as the factory publishes them (/jwks/servicea): its service tokens, no one else's. */
  callerKeys: KeySource
  /** The factory's user key (/jwks/users): user tokens. Both fetched once and cached by jose. */
  userKeys: KeySource
  /**
   * The set a request verifies with: the cached one, or, when the request carries a JWKS fault
   * (`?fault=jwks:…`), the set fetched afresh for it with the fault sent along.
   */
  keysFor(which: 'caller' | 'user', c: Context): KeySource
}
