/**
 * The factory's own error codes, beside the HttpErrorCode every app shares; clients may switch on
 * them. A refusal names this union where it uses one:
 * `new BadRequestError<FactoryErrorCode>(message, 'ERR_INVALID_KEY_ID')`.
 */
export type FactoryErrorCode =
  /** A keyId that is not a valid file name, or one reserved for the factory (400). */
  | 'ERR_INVALID_KEY_ID'
  /** No keys were ever made for that keyId (404). */
  | 'ERR_UNKNOWN_KEY_ID'
  /** Claims a token may not carry: reserved, malformed, or beyond the claim policy (400). */
  | 'ERR_INVALID_CLAIMS'
  /** The shared store (etcd) cannot be reached: a write answers 503 and writes nothing. */
  | 'ERR_STORE_UNAVAILABLE'
