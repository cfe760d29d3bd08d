import { Hono } from 'hono'
import type { ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'

/** `GET /` on each of the factory's ports: who answers, and where to go from here. */
export function homeRoutes({ config }: FactoryContext) {
  const home = {
    name: 'jwt-factory',
    about:
      'issues service tokens (JWT) and user tokens, verifies them, and publishes the public keys (JWKS)',
    console: `${config.consoleUrl} (the teaching console, when npm start runs it)`,
    try: {
      'GET /.well-known/openid-configuration': 'where everything is',
      'GET /.well-known/jwks.json': 'the service keys (the user key is at /jwks/users alone)',
      'GET /jwks/servicea': "servicea's public keys alone: the set ?verify=jwks pins",
      'GET /keys/servicea': "servicea's active key (made at the first call)",
      'POST /issueToken/servicea': 'a token for servicea; body {"aud": "serviceb"}',
      'POST /verify/servicea': 'checks a servicea token; body {"token": "…", "aud": "serviceb"}',
      'POST /login': 'a user token; Authorization: Basic, X-Audience: servicea',
      'GET /control/state':
        'its keys and its JWKS fault, as the console shows them (this machine only)',
    },
  }
  return new Hono<ServerEnv>().get('/', (c) => c.json(home))
}
