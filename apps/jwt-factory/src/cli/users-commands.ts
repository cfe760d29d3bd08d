import QRCode from 'qrcode'
import { newTotpSecret, totpUri } from '../login/totp.ts'
import type { Policy } from '../policy/policy-file.ts'
import type { DocumentSource } from '../stores/document-source.ts'
import { DEMO_PASSWORDS, ensureDemoUsers } from '../users/demo-users.ts'
import { hashPassword } from '../users/password-hash.ts'
import { USER_NAME, type UserRecord, type UsersFile } from '../users/user-record.ts'
import { readUsers, updateUsers } from '../users/users-document.ts'
import { CliError, usageError } from './cli-error.ts'
import type { CliCommand } from './run-cli.ts'
import { formatUserTable } from './user-table.ts'

export interface UsersCliContext {
  /** USERS_FILE, --file, or the users in etcd (STORE=etcd). */
  users: DocumentSource<UsersFile>
  policy: Policy
  out: (text: string) => void
  readPassword: (name: string) => Promise<string>
  now: () => Date
  role: string | undefined
  force: boolean
}

export type UsersCommand = CliCommand<UsersCliContext>

/** The issuer shown by authenticator apps beside the account name. */
const TOTP_ISSUER = 'jwt-factory'
const MIN_PASSWORD = 8
const MAX_PASSWORD = 1024

export const USERS_COMMANDS: Record<string, UsersCommand> = {
  add: {
    usage: 'add NAME --role R[,R2]   (password: prompted, or the first line of stdin)',
    args: 1,
    async run(ctx, [name]) {
      checkName(name!)
      if (ctx.role === undefined) throw usageError("add needs --role R (one of the policy's roles)")
      const roles = parseRoles(ctx.role, ctx.policy)
      const users = await readUsers(ctx.users)
      if (users.some((u) => u.name === name)) {
        throw new CliError(`${name} exists already (passwd, roles, lock… change it)`)
      }
      const password = await newPassword(ctx, name!)
      const time = ctx.now().toISOString()
      await updateUsers(ctx.users, (users) => {
        if (users.some((u) => u.name === name)) throw new CliError(`${name} exists already`)
        return [
          ...users,
          { name: name!, password, roles, locked: false, created: time, updated: time },
        ]
      })
      ctx.out(`added ${name} (roles ${roles.join(', ')})`)
    },
  },
  passwd: {
    usage: 'passwd NAME',
    args: 1,
    async run(ctx, [name]) {
      await requireUser(ctx, name!)
      const password = await newPassword(ctx, name!)
      await change(ctx, name!, (u) => ({ ...u, password }))
      ctx.out(`changed the password of ${name}`)
    },
  },
  roles: {
    usage: 'roles NAME R1,R2',
    args: 2,
    async run(ctx, [name, list]) {
      const roles = parseRoles(list!, ctx.policy)
      await change(ctx, name!, (u) => ({ ...u, roles }))
      ctx.out(`${name} has roles ${roles.join(', ')}`)
    },
  },
  lock: lockCommand(true),
  unlock: lockCommand(false),
  'totp-enable': {
    usage: 'totp-enable NAME [--force]   (prints the otpauth:// URI and its QR code)',
    args: 1,
    async run(ctx, [name]) {
      const user = await requireUser(ctx, name!)
      if (user.totpSecret !== undefined && !ctx.force) {
        throw new CliError(
          `${name} has TOTP already; --force makes a new secret (the old one stops working)`,
        )
      }
      const secret = newTotpSecret()
      await change(ctx, name!, (u) => ({ ...u, totpSecret: secret }))
      const uri = totpUri(secret, name!, TOTP_ISSUER)
      ctx.out(`TOTP is on for ${name}. Scan the QR code or add the URI to an authenticator app.`)
      ctx.out('Both hold the secret and are shown only now:')
      ctx.out(uri)
      ctx.out(await QRCode.toString(uri, { type: 'terminal', small: true }))
    },
  },
  'totp-disable': {
    usage: 'totp-disable NAME',
    args: 1,
    async run(ctx, [name]) {
      await change(ctx, name!, ({ totpSecret: _dropped, ...u }) => u)
      ctx.out(`TOTP is off for ${name}`)
    },
  },
  remove: {
    usage: 'remove NAME',
    args: 1,
    async run(ctx, [name]) {
      await requireUser(ctx, name!)
      await updateUsers(ctx.users, (users) => users.filter((u) => u.name !== name))
      ctx.out(`removed ${name}`)
    },
  },
  list: {
    usage: 'list',
    args: 0,
    async run(ctx) {
      const users = await readUsers(ctx.users)
      ctx.out(users.length === 0 ? `no users in ${ctx.users.where}` : formatUserTable(users))
    },
  },
  'demo-users': {
    usage: 'demo-users   (adds admin, viewer and guest with their documented passwords, if absent)',
    args: 0,
    async run(ctx) {
      const { created } = await ensureDemoUsers(ctx.users, ctx.now())
      ctx.out(created.length > 0 ? `added ${created.join(', ')}` : 'the demo users exist already')
    },
  },
}

function lockCommand(locked: boolean): UsersCommand {
  return {
    usage: `${locked ? 'lock' : 'unlock'} NAME`,
    args: 1,
    async run(ctx, [name]) {
      await change(ctx, name!, (u) => ({ ...u, locked }))
      ctx.out(`${locked ? 'locked' : 'unlocked'} ${name}`)
    },
  }
}

function checkName(name: string): void {
  if (!USER_NAME.test(name)) {
    const rule = '1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit'
    throw usageError(`"${name}" is not a user name: ${rule}`)
  }
}

function parseRoles(list: string, policy: Policy): string[] {
  const roles = [
    ...new Set(
      list
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== ''),
    ),
  ]
  const known = Object.keys(policy.roles)
  const unknown = roles.filter((r) => !known.includes(r))
  if (roles.length === 0 || unknown.length > 0) {
    throw usageError(
      `unknown role ${unknown.join(', ') || '(none given)'}: the policy defines ${known.join(', ')}`,
    )
  }
  return roles
}

async function newPassword(ctx: UsersCliContext, name: string) {
  const password = await ctx.readPassword(name)
  if ([...password].length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new CliError(
      `a password has ${MIN_PASSWORD} to ${MAX_PASSWORD} characters; nothing changed`,
    )
  }
  if (DEMO_PASSWORDS.includes(password)) {
    throw new CliError('that is a documented demo password; choose another (nothing changed)')
  }
  return hashPassword(password)
}

async function requireUser(ctx: UsersCliContext, name: string): Promise<UserRecord> {
  const user = (await readUsers(ctx.users)).find((u) => u.name === name)
  if (!user) throw new CliError(`no user ${name} in ${ctx.users.where}`)
  return user
}

/** Changes one user (and its `updated` time); an unknown name changes nothing. */
async function change(
  ctx: UsersCliContext,
  name: string,
  edit: (user: UserRecord) => UserRecord,
): Promise<void> {
  await updateUsers(ctx.users, (users) => {
    const i = users.findIndex((u) => u.name === name)
    if (i < 0) throw new CliError(`no user ${name} in ${ctx.users.where}`)
    users[i] = { ...edit(users[i]!), updated: ctx.now().toISOString() }
    return users
  })
}
