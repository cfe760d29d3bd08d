import { createBaseApp, freezeWhenAsked } from '@jwt-factory/server'
import { FACTORY_NAME } from './factory-name.ts'
import type { FactoryConfig } from './config.ts'
import type { FactoryContext, FactoryDeps } from './deps.ts'
import { createAdminCredential } from './exposure/admin-credential.ts'
import { assertEndpointsClassified } from './exposure/endpoints.ts'
import { exposureGuard } from './exposure/exposure-guard.ts'
import { JwksFault } from './keys/jwks-fault.ts'
import { LoginFlow } from './login/login-flow.ts'
import { ClientSecretCheck } from './oauth/client-secret-check.ts'
import { AssertionJtis } from './oauth/assertion-jtis.ts'
import { authRoutes } from './routes/auth.ts'
import { controlRoutes } from './routes/control.ts'
import { homeRoutes } from './routes/home.ts'
import { introspectRoutes } from './routes/introspect.ts'
import { keyRoutes } from './routes/keys.ts'
import { loginRoutes } from './routes/login.ts'
import { revokeRoutes } from './routes/revoke.ts'
import { tokenEndpointRoutes } from './routes/token.ts'
import { tokenRoutes } from './routes/tokens.ts'
import { totpRoutes } from './routes/totp.ts'
import { utilRoutes } from './routes/utils.ts'
import { verifyRoutes } from './routes/verify.ts'
import { wellKnownRoutes } from './routes/well-known.ts'

/** Builds the factory's hono app; it never listens, so tests call `app.request()` directly. */
export function createFactoryApp(config: FactoryConfig, deps: FactoryDeps) {
  const now = deps.now ?? (() => new Date())
  const { userStore, userKeys, policy, sharedState } = deps
  const loginFlow = new LoginFlow({ config, userStore, userKeys, policy, now, sharedState })
  const jwksFault = deps.jwksFault ?? new JwksFault(config.jwksFaultDelayMs)
  const assertionJtis = new AssertionJtis({ now, shared: sharedState })
  const clientSecrets = new ClientSecretCheck({
    windowSeconds: config.loginFailureWindowSeconds,
    maxFailuresPerClient: config.loginMaxFailuresPerUser,
    maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
    now,
    failures: sharedState?.failures,
  })
  const context: FactoryContext = {
    ...deps,
    config,
    now,
    loginFlow,
    assertionJtis,
    clientSecrets,
    jwksFault,
  }
  const admin =
    deps.adminCredential ??
    (config.adminToken === undefined ? undefined : createAdminCredential(config.adminToken))
  const app = createBaseApp({ logger: deps.logger })
    // Before every route: what may pass when the factory listens beyond loopback (exposure/).
    .use(
      exposureGuard({
        exposed: config.exposed,
        admin,
        issuer: config.serviceIssuer,
        httpsPort: config.httpsPort,
      }),
    )
    // A learner's `?fault=freeze:jwt-factory`, from this machine only (injected-fault.ts).
    .use(freezeWhenAsked(FACTORY_NAME))
    .get('/healthz', (c) =>
      c.json(deps.worker === undefined ? { status: 'ok' } : { status: 'ok', worker: deps.worker }),
    )
    .route('/', homeRoutes(context))
    .route('/', controlRoutes(context)) // before the JWKS routes: it holds or fails them
    .route('/', keyRoutes(context))
    .route('/', tokenRoutes(context))
    .route('/', verifyRoutes(context))
    .route('/', utilRoutes(context))
    .route('/', wellKnownRoutes(context))
    .route('/', loginRoutes(context))
    .route('/', totpRoutes(context))
    .route('/', authRoutes(context))
    .route('/', introspectRoutes(context))
    .route('/', revokeRoutes(context))
    .route('/', tokenEndpointRoutes(context))
  assertEndpointsClassified(app.routes)
  return app
}

export type FactoryApp = ReturnType<typeof createFactoryApp>
