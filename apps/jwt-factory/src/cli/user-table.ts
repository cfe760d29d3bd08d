import type { UserRecord } from '../users/user-record.ts'

/** `list`'s table: names, roles and flags. Never a hash or a TOTP secret. */
export function formatUserTable(users: readonly UserRecord[]): string {
  const rows = [
    ['NAME', 'ROLES', 'TOTP', 'LOCKED', 'UPDATED'],
    ...users.map((u) => [
      u.name,
      u.roles.join(','),
      u.totpSecret ? 'yes' : 'no',
      u.locked ? 'yes' : 'no',
      u.updated,
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
