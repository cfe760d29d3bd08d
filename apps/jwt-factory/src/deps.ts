import type { Logger } from '@jwt-factory/server'
import type { ClientStore } from './clients/client-store.ts'
import type { FactoryConfig } from './config.ts'
import type { ClientSecretCheck } from './oauth/client-secret-check.ts'
import type { AdminCredential } from './exposure/admin-credential.ts'
import type { KeyStore } from './keys/key-store.ts'
import type { JwksFault } from './keys/jwks-fault.ts'
import type { UserKeys } from './keys/user-keys.ts'
import type { LoginFlow } from './login/login-flow.ts'
import type { AssertionJtis } from './oauth/assertion-jtis.ts'
import type { RevocationStore } from './oauth/revocations.ts'
import type { Policy } from './policy/policy-file.ts'
import type { SharedState } from './stores/shared-state.ts'
import type { UserStore } from './users/user-store.ts'

/** What the factory's routes are built from; tests pass their own. */
export interface FactoryDeps {
  keyStore: KeyStore
  /** The users file, kept current by its own watch. */
  userStore: UserStore
  /** The OAuth clients file (CLIENTS_FILE), kept current by its own watch. */
  clients: ClientStore
  /** The user token key, apart from every keyId. */
  userKeys: UserKeys
  /** Roles → permissions and the claim policy (POLICY_FILE). */
  policy: Policy
  /** Tokens revoked at POST /revoke (REVOCATIONS_FILE), refused wherever the factory verifies. */
  revocations: RevocationStore
  logger: Logger
  /** ADMIN_TOKEN_FILE's credential, read by main.ts; by default the one of ADMIN_TOKEN, if set. */
  adminCredential?: AdminCredential
  /** The clock; tests move it instead of sleeping. */
  now?: () => Date
  /** The JWKS fault a learner asks for; main.ts releases its held answers at shutdown. */
  jwksFault?: JwksFault
  /**
   * With STORE=etcd, or several workers on files: TOTP steps and assertions used, and failed
   * logins, known at every factory (every worker).
   */
  sharedState?: SharedState
  /** Which worker this is, when WORKERS > 1 (workers/): GET /healthz names it. */
  worker?: number
}

export interface FactoryContext extends FactoryDeps {
  config: FactoryConfig
  now: () => Date
  /** Login state of this app: throttle, TOTP challenges, replay guard. */
  loginFlow: LoginFlow
  /** Client assertions already used (private_key_jwt), here and through sharedState: refused. */
  assertionJtis: AssertionJtis
  /** Client secrets: each verified once per secret, failures throttled as logins are. */
  clientSecrets: ClientSecretCheck
  jwksFault: JwksFault
}
