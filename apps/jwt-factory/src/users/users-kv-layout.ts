import type { KvDocumentLayout } from '../stores/kv/kv-document-source.ts'
import { checkRecord, parseJson } from '../stores/kv/json-record.ts'
import type { SealedBox } from '../stores/kv/sealed-box.ts'
import { userSchema, type UserRecord, type UsersFile } from './user-record.ts'
import { USERS_FORMAT, usersFileOf } from './users-file.ts'

/**
 * The users in a KvBackend: `users/<name>`, the users file's user object, its TOTP secret sealed
 * (context `users/<name>#totp`) so a dump of the store yields no second factor. The password is
 * an scrypt hash already. A secret that does not open (another STORE_KEK_FILE) makes the user
 * unreadable, so skipped: never a user who could log in without their second factor.
 */
export function usersKvLayout(box: SealedBox): KvDocumentLayout<UsersFile, UserRecord> {
  const context = (key: string) => `${key}#totp`
  return {
    name: 'users',
    format: USERS_FORMAT,
    recordsOf: (doc) => doc.users,
    keyOf: (user) => user.name,
    documentOf: usersFileOf,
    encode: (user, key) => {
      const { totpSecret } = user
      const sealed =
        totpSecret === undefined ? {} : { totpSecret: box.seal(totpSecret, context(key)) }
      return JSON.stringify({ ...user, ...sealed })
    },
    decode: (value, key) => {
      const data = parseJson(value)
      if (typeof data === 'object' && data !== null && 'totpSecret' in data) {
        const { totpSecret } = data
        if (typeof totpSecret !== 'string') throw new Error('totpSecret: not a sealed value')
        return checkRecord({ ...data, totpSecret: box.open(totpSecret, context(key)) }, userSchema)
      }
      return checkRecord(data, userSchema)
    },
  }
}
