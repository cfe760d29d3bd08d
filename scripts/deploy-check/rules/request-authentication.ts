import { SERVICE_NAMES } from '@jwt-factory/service'
import { podContainers, type DeployModel } from '../deploy-model.ts'
import {
  nameOf,
  ofKind,
  type JwtRule,
  type RequestAuthentication,
  type Service,
} from '../kube-objects.ts'
import { selects } from '../selectors.ts'
import { listenerBehind, selectedContainers } from '../service-listeners.ts'
import type { Rule } from './rule.ts'

/**
 * Each issuer's key set, as the factory's discovery documents name them (docs/10-factory-api.md):
 * the service keys at /.well-known/jwks.json (or one keyId's at /jwks/<keyId>), the user key at
 * /jwks/users. A rule with the other issuer's set would verify nothing, or the wrong tokens.
 */
const SERVICE_JWKS = /^\/(\.well-known\/jwks\.json|jwks\/(?!users$)[^/]+)$/
const USER_JWKS = /^\/jwks\/users$/

/**
 * Each RequestAuthentication trusts the factory and only it: its issuers are the factory's (as the
 * factory's own configuration makes them from the manifest's PUBLIC_URL), its jwksUri reaches the
 * factory's Service by its cluster name on a port that Service exposes, with the scheme the port
 * serves, and its audiences are pinned to ones the factory issues. Every service is covered.
 */
export const requestAuthenticationTrustsFactory: Rule = (model) => {
  const factories = podContainers(model).filter((c) => c.process?.factory !== undefined)
  const factory = factories[0]?.process?.factory
  if (factory === undefined) return ['no container runs the factory']
  const problems: string[] = []
  const policies = ofKind<RequestAuthentication>(model.manifests, 'RequestAuthentication')
  for (const ra of policies) {
    const rules = ra.object.spec.jwtRules ?? []
    if (rules.length === 0) problems.push(`${nameOf(ra)}: no jwtRules`)
    for (const rule of rules) {
      const where = `${nameOf(ra)} issuer ${rule.issuer}`
      const jwks =
        rule.issuer === factory.serviceIssuer
          ? { path: SERVICE_JWKS, audiences: SERVICE_NAMES as readonly string[] }
          : rule.issuer === factory.userIssuer
            ? { path: USER_JWKS, audiences: factory.userAudiences }
            : undefined
      if (jwks === undefined) {
        problems.push(
          `${where}: not the factory's (${factory.serviceIssuer} or ${factory.userIssuer})`,
        )
        continue
      }
      problems.push(...audienceProblems(where, rule, jwks.audiences))
      problems.push(...jwksUriProblems(model, where, rule, jwks.path))
    }
  }
  for (const c of podContainers(model).filter((c) => c.process?.service !== undefined)) {
    const labels = c.workload.object.spec.template.metadata?.labels
    if (!policies.some((ra) => selects(ra.object.spec.selector?.matchLabels, labels))) {
      problems.push(`${nameOf(c.workload)}: no RequestAuthentication selects it`)
    }
  }
  return problems
}

function audienceProblems(where: string, rule: JwtRule, issued: readonly string[]): string[] {
  const audiences = rule.audiences ?? []
  if (audiences.length === 0) return [`${where}: no audiences, so a token for any audience passes`]
  return audiences
    .filter((a) => !issued.includes(a))
    .map(
      (a) => `${where}: audience ${a} is not one this issuer's tokens carry (${issued.join(', ')})`,
    )
}

/** The jwksUri names the factory's Service, a port it exposes with the scheme behind it, and the issuer's set. */
function jwksUriProblems(model: DeployModel, where: string, rule: JwtRule, path: RegExp): string[] {
  let url: URL
  try {
    url = new URL(rule.jwksUri ?? '')
  } catch {
    return [`${where}: jwksUri ${rule.jwksUri} is not a URL`]
  }
  const problems: string[] = []
  if (!path.test(url.pathname))
    problems.push(`${where}: jwksUri path ${url.pathname} is not this issuer's key set`)
  const services = ofKind<Service>(model.manifests, 'Service').filter((s) =>
    selectedContainers(model, s.object).some((c) => c.process?.factory !== undefined),
  )
  const service = services.find(
    (s) => url.hostname === `${s.object.metadata.name}.${model.namespace}.svc.cluster.local`,
  )
  if (service === undefined) {
    const names = services.map(
      (s) => `${s.object.metadata.name}.${model.namespace}.svc.cluster.local`,
    )
    return [
      ...problems,
      `${where}: jwksUri host ${url.hostname} is not the factory's Service (${names.join(', ')})`,
    ]
  }
  const portNumber = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const port = service.object.spec.ports?.find((p) => p.port === portNumber)
  if (port === undefined)
    return [...problems, `${where}: jwksUri port ${portNumber} is not a port of ${nameOf(service)}`]
  const listener = listenerBehind(model, service.object, port)
  const scheme = url.protocol === 'https:' ? 'HTTPS' : 'HTTP'
  if (listener !== undefined && listener.scheme !== scheme) {
    problems.push(`${where}: jwksUri is ${scheme} but port ${portNumber} serves ${listener.scheme}`)
  }
  return problems
}
