import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSigningKey } from '@jwt-factory/jwt'
import { attackCatalogue, generateAttackerKeys, validToken } from '@jwt-factory/jwt/testing'
import { silentLogger } from '@jwt-factory/server'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureCertificates, loadTlsFiles } from '@jwt-factory/tls'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createServiceApp,
  ensureScenario3Keys,
  loadConfig,
  Scenario3Keys,
  type ServiceName,
} from '../src/index.ts'
import { freePorts } from './cluster.ts'
import {
  isErrorShape,
  isVerifyRefusal,
  sendFuzzRequest,
  type FuzzRequest,
  activeRouterName,
} from '@jwt-factory/server/testing'

/**
 * Property-based fuzzing of the service app through app.request(), as servicea (the calling
 * side of the scenarios) and serviceb (the verifying side), with a real HttpClient whose every
 * hop is a loopback port nothing listens on. Whatever comes in: never a throw, never a 5xx but
 * the 502/504 of an unreachable hop, and every refusal in the JSON error shape, the verify-result
 * shape, or scenario 2/4's `{ serviceb, servicec }` of those.
 */
const NUM_RUNS = 300

type ServiceApp = ReturnType<typeof createServiceApp>
let dir: string
let http: HttpClient
const apps = {} as Record<'servicea' | 'serviceb', ServiceApp>
let tokens: string[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'service-fuzz-'))
  const certsDir = join(dir, 'certs')
  const keysDir = join(dir, 'scenario-3-keys')
  await ensureCertificates(certsDir)
  const { key } = await ensureScenario3Keys(keysDir, 'ES256')
  http = createHttpClient({ caPem: (await loadTlsFiles(certsDir)).caPem, timeoutMs: 1000 })
  const [factory, b, c] = (await freePorts(3)) as [number, number, number]
  const logger = silentLogger()
  for (const name of ['servicea', 'serviceb'] as const satisfies readonly ServiceName[]) {
    const config = loadConfig(
      {
        SERVICE_NAME: name,
        FACTORY_URL: `https://127.0.0.1:${factory}`,
        SERVICEB_URL: `https://127.0.0.1:${b}`,
        SERVICEC_URL: `https://127.0.0.1:${c}`,
        CERTS_DIR: certsDir,
        SCENARIO3_KEYS_DIR: keysDir,
        HOP_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'silent',
      },
      dir,
    )
    const scenario3 = await Scenario3Keys.open({
      dir: keysDir,
      algorithm: 'ES256',
      logger,
      signer: name === 'servicea',
    })
    apps[name] = createServiceApp(config, { http, logger, scenario3 })
  }
  const context = {
    key,
    otherServiceKey: await generateSigningKey('ES256'),
    claims: { iss: 'https://service-issuer', sub: 'servicea', aud: 'serviceb' },
    attacker: await generateAttackerKeys(),
  }
  tokens = [
    validToken(context),
    ...attackCatalogue(context)
      .filter((a) => !a.oversized)
      .map((a) => a.token),
  ]
})

afterAll(async () => {
  await http?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

// --- what may come in -------------------------------------------------------------------------

const latin1 = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((c) => c !== 0x7f)
  .map((c) => String.fromCharCode(c))

const ROUTES = [
  '/hello',
  '/healthz',
  '/gen-keys',
  '/scenario1',
  '/scenario2',
  '/scenario3',
  '/scenario4',
  '/scenario1-server',
  '/scenario2-server',
  '/scenario3-server',
  '/scenario4-server',
  '/scenario5',
  '/{}',
  '/scenario1/{}',
] as const

const segment = fc.oneof(
  fc.constantFrom(
    '',
    '..',
    '%2e%2e%2f',
    '%00',
    'scenario1%00',
    '\u0455cenario1',
    'a'.repeat(8000),
    '%zz',
    '%ff',
    '__proto__',
  ),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ maxLength: 12, unit: 'binary' }),
)

const query = fc.oneof(
  fc.constant(''),
  fc
    .subarray([
      'expired=1',
      'trace=1',
      'fresh=1',
      'verify=jwks',
      'expired=true',
      'trace=yes',
      'verify=%00',
      'expired=%zz',
      'verify=JWKS',
      'trace=',
    ])
    .map((params) => (params.length ? `?${params.join('&')}` : '')),
  fc.string({ maxLength: 20 }).map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
)

const path = fc
  .tuple(fc.constantFrom(...ROUTES), segment, query)
  .map(([route, s, q]) => `${route.replace('{}', s)}${q}`)

const token = fc.oneof(
  fc.nat().map((i) => tokens[i % tokens.length]!),
  fc.nat().map((i) => tokens[i % tokens.length]!.slice(0, (i % 300) + 1)),
  fc.string({ maxLength: 100 }),
  fc.constantFrom('', 'a.b.c', 'x'.repeat(9000)),
)

const authorization = fc.oneof(
  token.map((t) => `Bearer ${t}`),
  token.map((t) => `bearer   ${t}  `),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Basic YWxpY2U6c2VjcmV0',
    'Basic',
    'Token abc',
    'Bearer a b',
    'Bearer a,b',
  ),
  fc.string({ maxLength: 60, unit: latin1 }),
)

const headers = fc.record(
  {
    authorization,
    cookie: token.map((t) => `token=Bearer%20${t}`),
    'x-trace': fc.constantFrom('1', '0', 'yes', ''),
    'x-request-id': fc.oneof(fc.uuid(), fc.string({ maxLength: 80, unit: latin1 })),
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'garbage',
      'multipart/form-data; boundary=x',
    ),
    'x-expire-seconds': fc.constantFrom('1', '-1', '1e9', 'x'),
    'x-audience': fc.constantFrom('servicec', '', 'evil'),
  },
  { requiredKeys: [] },
)

const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 100 }),
  fc.constantFrom('x'.repeat(70_000), `{"a":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_001)}`),
)

const method = fc.constantFrom(
  'GET',
  'GET',
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'PATCH',
)

const request = fc.record({ method, path, headers, body }) as fc.Arbitrary<FuzzRequest>

// --- what must come out -------------------------------------------------------------------------

const isVerifyResult = (body: unknown) =>
  (body as { valid?: unknown } | null)?.valid === true || isVerifyRefusal(body)

/** Scenario 2 and 4: each hop's answer under its name. */
function isPairShape(body: unknown): boolean {
  const b = body as Record<string, unknown> | null
  if (!b || typeof b !== 'object' || !('serviceb' in b) || !('servicec' in b)) return false
  return [b.serviceb, b.servicec].every((part) => isErrorShape(part) || isVerifyResult(part))
}

/** A hop that cannot be reached is a 502 or 504 naming it; any other 5xx is a bug. */
const HOP_STATUSES = [502, 504]

async function checkAnswer(r: FuzzRequest, res: Response): Promise<void> {
  const where = `${r.method} ${r.path.slice(0, 120)} → ${res.status}`
  expect(res.status < 500 || HOP_STATUSES.includes(res.status), where).toBe(true)
  if (r.method === 'HEAD' || res.status < 400) return
  expect(res.headers.get('content-type'), where).toMatch(/^application\/json/)
  const text = await res.text()
  const parsed = JSON.parse(text) as unknown
  expect(
    isErrorShape(parsed) || isVerifyRefusal(parsed) || isPairShape(parsed),
    `${where}: ${text.slice(0, 300)}`,
  ).toBe(true)
  if (HOP_STATUSES.includes(res.status) && isErrorShape(parsed)) {
    expect((parsed as { error: { hop?: unknown } }).error.hop, where).toMatch(
      /^(jwt-factory|serviceb|servicec)$/,
    )
  }
  expect(text, where).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/)
}

describe('the service app, fuzzed, every hop unreachable', () => {
  for (const name of ['servicea', 'serviceb'] as const) {
    it(`${name}: any request: never a throw, a 5xx only as 502/504 naming the hop, JSON shapes (${NUM_RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          await checkAnswer(r, await sendFuzzRequest(apps[name], r))
        }),
        { numRuns: NUM_RUNS },
      )
    })
  }

  it(`serviceb's scenario servers with any bearer token: 200 valid, 401, 403 refused, or 502 from the unreachable factory (${NUM_RUNS} runs)`, async () => {
    const serverRequest = fc.record({
      method: fc.constant('GET'),
      path: fc
        .tuple(
          fc.constantFrom(
            '/scenario1-server',
            '/scenario2-server',
            '/scenario3-server',
            '/scenario4-server',
          ),
          query,
        )
        .map(([p, q]) => `${p}${q}`),
      headers: fc.record(
        { authorization, 'x-trace': fc.constantFrom('1', '0') },
        { requiredKeys: [] },
      ),
      body: fc.constant(undefined),
    }) as fc.Arbitrary<FuzzRequest>
    await fc.assert(
      fc.asyncProperty(serverRequest, async (r) => {
        const res = await sendFuzzRequest(apps.serviceb, r)
        expect([200, 401, 403, 502]).toContain(res.status)
        if (res.status === 502) expect(r.path).toMatch(/^\/scenario[12]-server/)
        await checkAnswer(r, res)
      }),
      { numRuns: NUM_RUNS },
    )
  })

  it("routes with hono's RegExpRouter: no route makes it fall back to the slower TrieRouter", () => {
    for (const name of ['servicea', 'serviceb'] as const) {
      expect(activeRouterName(apps[name]), name).toBe('RegExpRouter')
    }
  })

  it('after the fuzzing both apps are healthy', async () => {
    for (const name of ['servicea', 'serviceb'] as const) {
      const res = await apps[name].request('/healthz')
      expect(res.status).toBe(200)
    }
    expect((await apps.servicea.request('/scenario3')).status).toBe(502) // serviceb's port is dead
  })
})
