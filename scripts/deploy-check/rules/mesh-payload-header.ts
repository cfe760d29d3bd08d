import { containerName, podContainers, type PodContainer } from '../deploy-model.ts'
import {
  type AuthorizationPolicy,
  type Labels,
  nameOf,
  ofKind,
  type PolicyRule,
  type RequestAuthentication,
} from '../kube-objects.ts'
import { selects } from '../selectors.ts'
import type { Rule } from './rule.ts'

/**
 * A service that trusts a payload header (MESH_PAYLOAD_HEADER, `?verify=mesh`) gets it only from
 * its sidecar: a RequestAuthentication selecting it writes that header for the factory's service
 * tokens and forwards the token with it (the app compares the two), and an ALLOW
 * AuthorizationPolicy selects it whose every rule that can match its plain HTTP port requires a
 * request principal. The attack this stops: a request WITHOUT a token passes a
 * RequestAuthentication untouched, carrying whatever header its sender wrote; only a rule
 * requiring a request principal (which only a verified token gives) refuses it.
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
    problems.push(...policyProblems(c, header, policies))
  }
  return problems
}

function policyProblems(
  c: PodContainer,
  header: string,
  policies: ReturnType<typeof ofKind<AuthorizationPolicy>>,
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
      const ports = httpPorts.filter((port) => matchesPort(rule, port))
      const sources = (rule.from ?? []).map((f) => f.source)
      const open = sources.length === 0 || sources.some((s) => !s?.requestPrincipals?.length)
      if (ports.length > 0 && open) {
        problems.push(
          `${nameOf(policy)} rule ${i}: allows ${c.process?.role}'s HTTP port ${ports.join(', ')} without a requestPrincipal in every source, so a request with no token carries a forged ${header} to the app`,
        )
      }
    }
  }
  return problems
}

/** Istio's reading of a policy's selector: none (or an empty one) is every workload of the namespace. */
const appliesTo = (selector: Labels | undefined, labels: Labels | undefined) =>
  Object.keys(selector ?? {}).length === 0 || selects(selector, labels)

/** Whether a rule can match a request to `port`: no `to` is every port. */
function matchesPort(rule: PolicyRule, port: number): boolean {
  if (!rule.to?.length) return true
  return rule.to.some(({ operation = {} }) => {
    if (operation.ports && !operation.ports.includes(String(port))) return false
    return !operation.notPorts?.includes(String(port))
  })
}
