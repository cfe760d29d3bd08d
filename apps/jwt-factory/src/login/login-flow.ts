import { UnauthorizedError } from '@jwt-factory/server'
import type { FactoryConfig } from '../config.ts'
import type { UserKeys } from '../keys/user-keys.ts'
import { checkRoleClaims, permissionsOf } from '../policy/claim-policy.ts'
import type { Policy } from '../policy/policy-file.ts'
import type { SharedState } from '../stores/shared-state.ts'
import { verifyPasswordOrDummy } from '../users/password-hash.ts'
import type { UserRecord } from '../users/user-record.ts'
import type { UserStore } from '../users/user-store.ts'
import { BASIC_CHALLENGE } from './basic-credentials.ts'
import { LoginThrottle } from './login-throttle.ts'
import { matchTotpCode, TOTP_PARAMS } from './totp.ts'
import { TotpChallenges, type PendingLogin } from './totp-challenges.ts'
import { TotpReplayGuard } from './totp-replay-guard.ts'
import { issueUserToken, userClaims, type AuthMethod, type TokenResponse } from './user-token.ts'

export interface LoginFlowOptions {
  config: FactoryConfig
  userStore: UserStore
  userKeys: UserKeys
  policy: Policy
  now: () => Date
  /** The store the factories share: TOTP steps used and failed logins, known at every factory. */
  sharedState?: SharedState
}

/** One message for an unknown user, a wrong password and a locked user: none tells them apart. */
export const WRONG_CREDENTIALS = 'wrong user name or password'
export const WRONG_TOTP_CODE = 'wrong or already used TOTP code'
export const BAD_CHALLENGE = 'unknown, expired or already used TOTP challenge'

/** AppMesh's 428 body: what the client needs to ask the user for a code. */
export interface TotpChallengeResponse {
  totp_challenge: string
  digits: number
  period: number
  expires: number
}

export interface IssueOptions {
  audience: string
  ttlSeconds: number
  amr: AuthMethod[]
}

/**
 * Password, then (for users with TOTP) the code, then the token: the steps POST /login and
 * POST /totp/validate share, with the throttle, the challenges and the replay guard between them.
 */
export class LoginFlow {
  readonly #o: LoginFlowOptions
  readonly #throttle: LoginThrottle
  readonly #challenges: TotpChallenges
  readonly #replay: TotpReplayGuard

  constructor(options: LoginFlowOptions) {
    this.#o = options
    const { config, now, sharedState } = options
    this.#throttle = new LoginThrottle({
      windowSeconds: config.loginFailureWindowSeconds,
      maxFailuresPerUser: config.loginMaxFailuresPerUser,
      maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
      now,
      failures: sharedState?.failures,
    })
    this.#replay = new TotpReplayGuard(sharedState)
    this.#challenges = new TotpChallenges({
      lifetimeSeconds: config.totpChallengeSeconds,
      now,
      shared: sharedState,
    })
  }

  /** 429 when throttled, else the user when the password matches an unlocked user, else 401. */
  async checkPassword(name: string, password: string, address: string): Promise<UserRecord> {
    const end = this.#throttle.begin(name, address)
    try {
      const user = this.#o.userStore.get(name)
      // Always one scrypt run, whoever asks: the time of the answer says nothing either.
      const matches = await verifyPasswordOrDummy(password, user?.password)
      if (!user || !matches || user.locked) throw this.#fail(name, address, WRONG_CREDENTIALS)
      return user
    } finally {
      end()
    }
  }

  /** The 428 answer for a user with TOTP who sent no code. */
  async startTotp(pending: PendingLogin): Promise<TotpChallengeResponse> {
    const { challenge, expires } = await this.#challenges.issue(pending)
    const { digits, period } = TOTP_PARAMS
    return { totp_challenge: challenge, digits, period, expires }
  }

  /**
   * A code checked against the user's secret, ±1 step, once per step (RFC 6238 §5.2); else 401.
   * 503 when the shared store cannot say whether the step was used (nothing counted as failed).
   */
  async checkTotp(user: UserRecord, code: string, address: string): Promise<void> {
    const secret = user.totpSecret
    const now = this.#o.now().getTime()
    const step = secret === undefined ? undefined : matchTotpCode(secret, code, now)
    if (step === undefined || !(await this.#replay.accept(user.name, step))) {
      throw this.#fail(user.name, address, WRONG_TOTP_CODE)
    }
  }

  /** POST /totp/validate: the challenge first (consumed whatever follows), then the code. */
  async finishTotp(
    name: string,
    challenge: string,
    code: string,
    address: string,
    ttlSeconds?: number,
  ): Promise<TokenResponse> {
    // A challenge is single-use and each needed a right password, so parallel attempts cannot
    // outrun the throttle here: the attempt can end at once.
    this.#throttle.begin(name, address)()
    const pending = await this.#challenges.consume(challenge, name)
    if (!pending) throw this.#fail(name, address, BAD_CHALLENGE)
    const user = this.#o.userStore.get(name)
    // Locked, removed or TOTP turned off since the 428: the challenge leads nowhere now.
    if (!user || user.locked || user.totpSecret === undefined) {
      throw this.#fail(name, address, WRONG_CREDENTIALS)
    }
    await this.checkTotp(user, code, address)
    const { audience } = pending
    return this.issue(user, {
      audience,
      ttlSeconds: ttlSeconds ?? pending.ttlSeconds,
      amr: ['pwd', 'otp'],
    })
  }

  /** The token, once the claim policy allows what the user's roles put in it (400 if not). */
  async issue(
    user: UserRecord,
    { audience, ttlSeconds, amr }: IssueOptions,
  ): Promise<TokenResponse> {
    const { policy, userKeys, config } = this.#o
    const now = this.#o.now()
    const authTime = Math.floor(now.getTime() / 1000)
    const claims = userClaims(permissionsOf(policy, user.roles), amr, authTime)
    checkRoleClaims(policy, user.roles, claims)
    const key = await userKeys.signingKey()
    const response = await issueUserToken({
      key,
      issuer: config.userIssuer,
      user: user.name,
      audience,
      claims,
      ttlSeconds,
      now,
    })
    this.#throttle.succeeded(user.name)
    return response
  }

  #fail(name: string, address: string, message: string): UnauthorizedError {
    this.#throttle.failed(name, address)
    // RFC 7235 §3.1: a 401 names a scheme; starting over is a Basic login.
    return new UnauthorizedError(message, { headers: { 'WWW-Authenticate': BASIC_CHALLENGE } })
  }
}
