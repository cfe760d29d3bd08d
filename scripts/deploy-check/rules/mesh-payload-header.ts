import { SCENARIO_CALLER } from '@jwt-factory/service'
import { containerName, podContainers, type PodContainer } from '../deploy-model.ts'
import {
  type AuthorizationPolicy,
  type JwtRule,
  type Labels,
  nameOf,
  ofKind,
  type PolicyRule,
  type PolicySource,
  type RequestAuthentication,
} from '../kube-objects.ts'
import { selects } from '../selectors.ts'
import type { Rule } from './rule.ts'

/**
 * A service that trusts a payload header (MESH_PAYLOAD_HEADER, `?verify=mesh`) gets it only from
 * its sidecar: a RequestAuthentication selecting it writes that header for the factory's service
 * tokens, reads them from `Authorization: Bearer` only (where the app reads the token it compares
 * the header with) and forwards the token with it; and an ALLOW AuthorizationPolicy selects it
 * whose every rule that can reach a `?verify=mesh` path on its plain HTTP port requires servicea's
 * own token (`<service issuer>/servicea`) in every source. The attacks this stops: a request
 * WITHOUT a token passes a RequestAuthentication untouched, and a user's token verified for
 * scenario 5 is a request principal too; only a rule requiring servicea's refuses both.
 */
export const meshPayloadHeaderFromSidecarOnly: Rule = (model) => {
  const containers = podContainers(model)
  const serviceIssuer = containers.find((c) => c.process?.factory)?.process?.factory?.serviceIssuer
  const authentications = ofKind<RequestAuthentication>(model.manifests, 'RequestAuthentication')
  const policies = ofKind<AuthorizationPolicy>(model.manifests, 'AuthorizationPolicy')
  const problems: string[] = []
  for (const c of containers) {
    const header = c.process?.service?.meshPayloadHeader
    if (header === undefined) continue
    const labels = c.workload.object.spec.template.metadata?.labels
    const where = `${containerName(c)}: MESH_PAYLOAD_HEADER ${header}`
    const writers = authentications
      .filter((ra) => appliesTo(ra.object.spec.selector?.matchLabels, labels))
      .flatMap((ra) => ra.object.spec.jwtRules ?? [])
      .filter((rule) => rule.outputPayloadToHeader?.toLowerCase() === header)
    if (!writers.some((rule) => rule.issuer === serviceIssuer)) {
      problems.push(
        `${where}: no RequestAuthentication selecting it writes that header (outputPayloadToHeader) for the factory's service tokens (${serviceIssuer}), so every value it sees is a caller's`,
      )
    }
    for (const rule of writers.filter((r) => r.forwardOriginalToken !== true)) {
      problems.push(
        `${where}: the jwtRule for ${rule.issuer} writes it without forwardOriginalToken: true, so the token the app checks it against never arrives`,
      )
    }
    for (const rule of writers.filter((r) => !readsBearerOnly(r))) {
      problems.push(
        `${where}: the jwtRule for ${rule.issuer} does not pin fromHeaders to one Authorization with prefix 'Bearer ' (and no fromParams, fromCookies), so the sidecar may verify a token the app never sees (?access_token=)`,
      )
    }
    problems.push(...policyProblems(c, header, policies, `${serviceIssuer}/${SCENARIO_CALLER}`))
  }
  return problems
}

function policyProblems(
  c: PodContainer,
  header: string,
  policies: ReturnType<typeof ofKind<AuthorizationPolicy>>,
  callerToken: string,
): string[] {
  const labels = c.workload.object.spec.template.metadata?.labels
  const httpPorts = (c.process?.listeners ?? [])
    .filter((l) => l.scheme === 'HTTP')
    .map((l) => l.port)
  const allows = policies.filter(
    (p) =>
      (p.object.spec.action ?? 'ALLOW') === 'ALLOW' &&
      appliesTo(p.object.spec.selector?.matchLabels, labels),
  )
  if (allows.length === 0) {
    return [
      `${containerName(c)}: no ALLOW AuthorizationPolicy selects it, so a request without a token reaches its HTTP port with any ${header} its sender wrote`,
    ]
  }
  const problems: string[] = []
  for (const policy of allows) {
    for (const [i, rule] of (policy.object.spec.rules ?? []).entries()) {
      const ports = httpPorts.filter((port) => reachesMeshPath(rule, port))
      const sources = (rule.from ?? []).map((f) => f.source)
      const callerOnly = (s: PolicySource | undefined) =>
        (s?.requestPrincipals?.length ?? 0) > 0 &&
        s!.requestPrincipals!.every((p) => p === callerToken)
      if (ports.length > 0 && !(sources.length > 0 && sources.every(callerOnly))) {
        problems.push(
          `${nameOf(policy)} rule ${i}: allows ${c.process?.role}'s HTTP port ${ports.join(', ')} on ${MESH_PATHS.join(' or ')} without requiring ${callerToken} as the request principal in every source, so a request with no token, or a user's, carries a ${header} the app trusts`,
        )
      }
    }
  }
  return problems
}

/** Istio's reading of a policy's selector: none (or an empty one) is every workload of the namespace. */
const appliesTo = (selector: Labels | undefined, labels: Labels | undefined) =>
  Object.keys(selector ?? {}).length === 0 || selects(selector, labels)

/** The paths where the app trusts the header (scenarios 1 and 2 with `?verify=mesh`). */
const MESH_PATHS = ['/scenario1-server', '/scenario2-server']

/**
 * Whether a rule can match a request to a mesh path on `port`: no `to` is every port and path.
 * `notPaths` is not counted as a restriction: another spelling of the path (`%73cenario1-server`)
 * may miss the pattern and still reach the app's route.
 */
function reachesMeshPath(rule: PolicyRule, port: number): boolean {
  if (!rule.to?.length) return true
  return rule.to.some(({ operation = {} }) => {
    if (operation.ports && !operation.ports.includes(String(port))) return false
    if (operation.notPorts?.includes(String(port))) return false
    const paths = operation.paths as string[] | undefined
    return (
      paths === undefined || MESH_PATHS.some((path) => paths.some((p) => istioPathMatches(p, path)))
    )
  })
}

/** Istio's path patterns: exact, `prefix*`, `*suffix`, or `*`. */
function istioPathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1))
  if (pattern.startsWith('*')) return path.endsWith(pattern.slice(1))
  return pattern === path
}

/** `Authorization: Bearer` and nowhere else, as the app reads it. */
function readsBearerOnly(rule: JwtRule): boolean {
  const headers = rule.fromHeaders ?? []
  return (
    headers.length === 1 &&
    headers[0]!.name?.toLowerCase() === 'authorization' &&
    headers[0]!.prefix === 'Bearer ' &&
    !rule.fromParams?.length &&
    !rule.fromCookies?.length
  )
}
