import type { Context } from 'hono'
import { parseBearer } from '@jwt-factory/hono-auth'
import { verifySignedElsewhere, type CheckName } from '@jwt-factory/jwt'
import { tracedVerification } from '@jwt-factory/trace'
import { connectionOf, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { incomingTrace } from '../trace.ts'
import { MeshNotConfiguredError, MeshUnverifiedError } from './mesh-refusals.ts'
import { missingToken, verdict } from './verdict.ts'

/**
 * What Envoy's jwt_authn checks for a RequestAuthentication rule before it writes the payload
 * header: the signature with the issuer's keys, the issuer, the audiences, nbf and exp.
 */
const CHECKED_BY_THE_MESH: readonly CheckName[] = ['iss', 'aud', 'nbf', 'exp']

/**
 * The verifying side of `?verify=mesh` (scenarios 1 and 2). This service does not verify the
 * signature: its sidecar did (Istio's RequestAuthentication on the plain HTTP port), and wrote
 * the token's payload into MESH_PAYLOAD_HEADER (`outputPayloadToHeader`, Envoy's
 * `forward_payload_header`: the token's own base64url payload segment, added to the request).
 * The header is trusted only when all three hold:
 * 1. MESH_PAYLOAD_HEADER is set: no header is trusted by default;
 * 2. the request came on the plain HTTP listener: on HTTPS the sidecar sees only TLS, so a header
 *    there is whatever the caller wrote;
 * 3. the bearer token came too (`forwardOriginalToken`) and the header is exactly its payload
 *    segment: Istio lets a request without a token through untouched (only an
 *    AuthorizationPolicy requiring a request principal refuses it), so a header with no token is
 *    the caller's; and Envoy adds its header beside one the caller wrote, so a forged one shows as
 *    a second value and no longer equals the payload.
 * Then it checks what the mesh does not (sub servicea, typ JWT) and, cheaply, again what it does
 * (iss, aud this service, nbf, exp), and answers as every verifying side does (verdict.ts).
 */
export function meshVerifiedTokenEndpoint({ config }: ServiceContext) {
  const me = config.name
  const header = config.meshPayloadHeader
  const checkedBy = {
    by: 'mesh',
    self: me,
    keys: `the factory's keys, as istiod hands them to ${me}'s sidecar`,
    alsoChecked: CHECKED_BY_THE_MESH,
  }
  const options = {
    issuer: config.factoryIssuer,
    audience: me,
    subject: SCENARIO_CALLER,
    clockToleranceSeconds: config.clockToleranceSeconds,
  }
  return async function trustMeshVerifiedToken(c: Context<ServerEnv>) {
    if (header === undefined) {
      throw new MeshNotConfiguredError(
        'MESH_PAYLOAD_HEADER',
        `the header ${me}'s sidecar writes a verified token's payload into; unset, ${me} trusts none`,
      )
    }
    if (connectionOf(c).tls) {
      throw new MeshUnverifiedError(
        `${me} trusts its sidecar on its plain HTTP port only: no sidecar reads a token on HTTPS, so ${header} here is the caller's own`,
      )
    }
    // The sidecar reads `Authorization: Bearer`, nothing else (no cookie).
    const token = parseBearer(c.req.header('authorization'))
    if (token === undefined) return missingToken(c, me)
    const payload = c.req.header(header)
    if (payload === undefined) {
      throw new MeshUnverifiedError(
        `no ${header}: the sidecar writes it only for a token it verified`,
      )
    }
    if (payload !== token.split('.')[1]) {
      throw new MeshUnverifiedError(`${header} is not the payload of the token it came with`)
    }
    const trace = incomingTrace(c)
    const call = `check the claims (the signature was verified by ${me}'s sidecar)`
    const result = tracedVerification(trace, { by: me, token, call }, () =>
      verifySignedElsewhere(token, checkedBy, options),
    )
    return verdict(c, me, token, result)
  }
}
