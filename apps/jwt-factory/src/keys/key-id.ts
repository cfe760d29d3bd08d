import { BadRequestError } from '@jwt-factory/server'
import type { FactoryErrorCode } from '../factory-error-code.ts'

/**
 * A keyId becomes part of a file name, so this is a path-traversal guard as much as a format:
 * letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64, never "..".
 */
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function isValidKeyId(value: string): boolean {
  return KEY_ID.test(value) && !value.includes('..')
}

/** Where the factory publishes its own key for user tokens: /jwks/users. */
export const USER_KEYS_PATH_ID = 'users'

/** `users` names the factory's own key for user tokens (published at /jwks/users): no service may take it. */
export const RESERVED_KEY_IDS: ReadonlySet<string> = new Set([USER_KEYS_PATH_ID])

export function parseKeyId(value: string | undefined): string {
  if (value === undefined || !isValidKeyId(value)) {
    throw new BadRequestError<FactoryErrorCode>(
      'keyId must be 1-64 letters, digits, ".", "_" or "-", start with a letter or digit, and not contain ".."',
      'ERR_INVALID_KEY_ID',
    )
  }
  if (RESERVED_KEY_IDS.has(value)) {
    throw new BadRequestError<FactoryErrorCode>(
      `keyId ${value} is reserved for the factory's own user key`,
      'ERR_INVALID_KEY_ID',
    )
  }
  return value
}
