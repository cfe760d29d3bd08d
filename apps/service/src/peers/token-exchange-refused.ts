import { HttpError, type HttpErrorBody } from '@jwt-factory/server'

/** The factory's refusal as RFC 6749 §5.2 writes it, what OAuth client libraries switch on. */
export interface OAuthRefusal {
  error: string
  error_description?: string
}

/**
 * The factory refused a token exchange this service asked for: the policy does not let it speak
 * to that audience (`invalid_target`), or the token it held was not good for it (`invalid_grant`).
 * The service cannot go on, so it refuses its own caller (403) and passes the factory's words on
 * unchanged in `oauth`, so the learner reads the reason where it was decided.
 */
export class TokenExchangeRefusedError extends HttpError {
  override name = 'TokenExchangeRefusedError'
  constructor(
    message: string,
    readonly oauth: OAuthRefusal,
  ) {
    super(403, 'ERR_FORBIDDEN', message)
  }

  override toJSON(): HttpErrorBody & { oauth: OAuthRefusal } {
    return { ...super.toJSON(), oauth: this.oauth }
  }
}

/** A `{ error, error_description? }` body, as the factory's OAuth endpoints answer a refusal. */
export function oauthRefusalOf(body: unknown): OAuthRefusal | undefined {
  const { error, error_description: description } = (body ?? {}) as Record<string, unknown>
  if (typeof error !== 'string') return undefined
  return { error, ...(typeof description === 'string' ? { error_description: description } : {}) }
}
