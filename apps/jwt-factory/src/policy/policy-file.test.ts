import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@jwt-factory/config'
import { afterEach, describe, expect, it } from 'vitest'
import { POLICY_FILE } from '../test-support.ts'
import { loadPolicyFile } from './policy-file.ts'

let dir: string | undefined
afterEach(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

async function policyFile(content: string): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'jwt-factory-policy-'))
  const path = join(dir, 'policy.json')
  await writeFile(path, content)
  return path
}

async function problems(content: string): Promise<{ path: string; err: ConfigError }> {
  const path = await policyFile(content)
  const err = await loadPolicyFile(path).then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`)
  return { path, err }
}

describe('the policy file', () => {
  it('the committed one loads: admin and viewer with their permissions, frozen', async () => {
    const policy = await loadPolicyFile(POLICY_FILE)
    expect(policy.roles.admin?.permissions).toEqual(['app-view', 'app-manage', 'token-issue'])
    expect(policy.roles.viewer?.permissions).toEqual(['app-view'])
    expect(policy.services.servicea).toBeUndefined() // the demo's services keep any claim
    expect(Object.isFrozen(policy.roles.admin?.permissions)).toBe(true)
  })

  it("the committed one's exchange policy is scenario 6's chain: servicea → serviceb → servicec", async () => {
    const policy = await loadPolicyFile(POLICY_FILE)
    expect(policy.exchange).toEqual({ servicea: ['serviceb'], serviceb: ['servicec'] })
    expect(Object.isFrozen(policy.exchange.servicea)).toBe(true)
  })

  it('a file without an exchange section allows no exchange', async () => {
    const path = await policyFile(JSON.stringify({ roles: {} }))
    expect((await loadPolicyFile(path)).exchange).toEqual({})
  })

  it('refuses an exchange section naming a bad client or audience, each problem named', async () => {
    const { err } = await problems(
      JSON.stringify({
        roles: {},
        exchange: {
          '../x': ['serviceb'],
          users: ['serviceb'],
          servicea: ['service b', ''],
          serviceb: ['servicec', 'servicec'],
          servicec: 'servicea',
        },
      }),
    )
    const text = err.problems.join('\n')
    expect(text).toMatch(/exchange\.\.\.\/x: must be a valid keyId/)
    expect(text).toMatch(/exchange\.users: must be a valid keyId/)
    expect(text).toMatch(/exchange\.servicea\.0: must be an audience/)
    expect(text).toMatch(/exchange\.servicea\.1: must be an audience/)
    expect(text).toMatch(/exchange\.serviceb: lists an audience twice/)
    expect(text).toMatch(/exchange\.servicec: /)
  })

  it('a missing file or one that is not JSON is a ConfigError naming the file', async () => {
    const missing = await loadPolicyFile('/nonexistent/policy.json').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(ConfigError)
    expect((missing as Error).message).toContain('/nonexistent/policy.json')
    const { path, err } = await problems('{ "roles": ')
    expect(err.message).toContain(path)
    expect(err.message).toContain('not valid JSON')
  })

  it('lists every problem at once', async () => {
    const { err } = await problems(
      JSON.stringify({
        roles: {
          'bad role!': { permissions: [] },
          spaced: { permissions: ['app-view', 'app manage'] },
          viewer: { permissions: ['app-view'], claims: { sub: ['x'] } },
          narrow: { permissions: ['app-view', 'app-manage'], claims: { scope: ['app-view'] } },
        },
        services: {
          '../x': { claims: {} },
          servicea: { claims: { level: [] } },
          serviceb: { claims: { exp: [1] } },
        },
        extra: true,
      }),
    )
    const text = err.problems.join('\n')
    expect(text).toContain('roles.bad role!')
    expect(text).toMatch(/roles\.spaced\.permissions\.1: must be a permission id/)
    expect(text).toMatch(/roles\.viewer\.claims\.sub: is set by the factory/)
    expect(text).toMatch(
      /roles\.narrow\.claims\.scope: does not allow the role's own permissions app-manage/,
    )
    expect(text).toMatch(/services\.\.\.\/x/)
    expect(text).toMatch(/services\.servicea\.claims\.level/)
    expect(text).toMatch(/services\.serviceb\.claims\.exp: is set by the factory/)
    expect(text).toMatch(/extra|Unrecognized key/)
  })
})
