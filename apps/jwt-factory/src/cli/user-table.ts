import type { UserRecord } from '../users/user-record.ts'
import { formatTable } from './text-table.ts'

/** `list`'s table: names, roles and flags. Never a hash or a TOTP secret. */
export function formatUserTable(users: readonly UserRecord[]): string {
  return formatTable([
    ['NAME', 'ROLES', 'TOTP', 'LOCKED', 'UPDATED'],
    ...users.map((u) => [
      u.name,
      u.roles.join(','),
      u.totpSecret ? 'yes' : 'no',
      u.locked ? 'yes' : 'no',
      u.updated,
    ]),
  ])
}
