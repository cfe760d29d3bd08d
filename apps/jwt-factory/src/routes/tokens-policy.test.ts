import { afterEach, describe, expect, it } from 'vitest'
import { parsePolicy } from '../policy/policy-file.ts'
import { createTestFactory, jsonPost, POLICY_FILE } from '../test-support.ts'
import { loadPolicyFile } from '../policy/policy-file.ts'

type TestFactory = Awaited<ReturnType<typeof createTestFactory>>
let f: TestFactory
afterEach(() => f?.cleanup())

const policy = parsePolicy(
  {
    roles: { viewer: { permissions: ['app-view'] } },
    services: { reports: { claims: { scope: ['reports:read', 'reports:write'], level: [1, 2] } } },
  },
  'test',
)

const issue = (keyId: string, body: unknown) =>
  f.app.request(`/issueToken/${keyId}`, jsonPost(body))

describe('POST /issueToken/:keyId under the claim policy', () => {
  it("issues what the keyId's entry allows", async () => {
    f = await createTestFactory({}, undefined, { policy })
    await f.app.request('/keys/reports')
    const res = await issue('reports', {
      aud: 'serviceb',
      scope: 'reports:read reports:write',
      level: 2,
    })
    expect(res.status).toBe(200)
  })

  it.each([
    [
      'a value outside the list',
      { aud: 'x', scope: 'reports:read admin:all' },
      /claim "scope" may not be "admin:all" for keyId reports/,
    ],
    ['a number outside the list', { aud: 'x', level: 3 }, /claim "level" may not be 3/],
    [
      'a claim the entry does not list',
      { aud: 'x', admin: true },
      /claim "admin" is not allowed for keyId reports/,
    ],
  ])('answers 400 naming the claim for %s', async (_name, body, message) => {
    f = await createTestFactory({}, undefined, { policy })
    await f.app.request('/keys/reports')
    const res = await issue('reports', body)
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('ERR_INVALID_CLAIMS')
    expect(error.message).toMatch(message)
  })

  it('keeps the original behaviour for a keyId without an entry: any custom claim', async () => {
    f = await createTestFactory({}, undefined, { policy })
    await f.app.request('/keys/servicea')
    expect(
      (await issue('servicea', { aud: 'serviceb', admin: true, scope: 'anything' })).status,
    ).toBe(200)
  })

  it("the committed policy leaves the demo's services free and holds its example keyId to its list", async () => {
    f = await createTestFactory({}, undefined, { policy: await loadPolicyFile(POLICY_FILE) })
    for (const keyId of ['servicea', 'serviceb', 'servicec', 'reports'])
      await f.app.request(`/keys/${keyId}`)
    for (const keyId of ['servicea', 'serviceb', 'servicec'])
      expect((await issue(keyId, { aud: 'x', role: 'anything' })).status).toBe(200)
    expect((await issue('reports', { aud: 'x', scope: 'reports:read' })).status).toBe(200)
    expect((await issue('reports', { aud: 'x', scope: 'reports:delete' })).status).toBe(400)
  })
})
