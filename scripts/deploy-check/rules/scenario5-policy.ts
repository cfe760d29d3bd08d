import { SCENARIO_CALLER } from '@jwt-factory/service'
import { podContainers } from '../deploy-model.ts'
import { type AuthorizationPolicy, nameOf, ofKind, type PolicySource } from '../kube-objects.ts'
import type { Rule } from './rule.ts'

const both = (s: PolicySource | undefined) =>
  (s?.principals?.length ?? 0) > 0 && (s?.requestPrincipals?.length ?? 0) > 0

/**
 * Scenario 5 in the mesh: a request is allowed only from servicea (its mesh identity, a
 * principal) AND on behalf of a user (a request principal from the factory's user issuer). Both
 * belong in ONE source: separate `from` entries are ORed, so either alone would pass, and the
 * original demo's two `source:` keys in one item kept only the last.
 */
export const scenario5RequiresCallerAndUser: Rule = (model) => {
  const containers = podContainers(model)
  const factory = containers.find((c) => c.process?.factory)?.process?.factory
  const userIssuer = factory?.userIssuer
  // servicea's own service token, not a user's: the ?verify=mesh rules (mesh-payload-header.ts).
  const callerToken = `${factory?.serviceIssuer}/${SCENARIO_CALLER}`
  const scenario5 = (s: PolicySource | undefined) =>
    both(s) && !s!.requestPrincipals!.every((p) => p === callerToken)
  const caller = containers.find((c) => c.process?.service?.name === SCENARIO_CALLER)
  const account = caller?.workload.object.spec.template.spec.serviceAccountName ?? 'default'
  const callerPrincipal = `cluster.local/ns/${model.namespace}/sa/${account}`
  const problems: string[] = []
  let found = false
  for (const policy of ofKind<AuthorizationPolicy>(model.manifests, 'AuthorizationPolicy')) {
    for (const [i, rule] of (policy.object.spec.rules ?? []).entries()) {
      const sources = (rule.from ?? []).map((f) => f.source)
      const where = `${nameOf(policy)} rule ${i}`
      const split =
        !sources.some(both) &&
        sources.some((s) => s?.principals) &&
        sources.some((s) => s?.requestPrincipals)
      if (split)
        problems.push(`${where}: principals and requestPrincipals in separate sources are ORed`)
      for (const source of sources.filter(scenario5)) {
        found = (policy.object.spec.action ?? 'ALLOW') === 'ALLOW' || found
        if (!source!.principals!.includes(callerPrincipal)) {
          problems.push(
            `${where}: principals ${source!.principals} do not name ${SCENARIO_CALLER} (${callerPrincipal})`,
          )
        }
        for (const p of source!.requestPrincipals!) {
          if (userIssuer === undefined || !p.startsWith(`${userIssuer}/`)) {
            problems.push(
              `${where}: requestPrincipal ${p} is not from the factory's user issuer ${userIssuer}`,
            )
          }
        }
      }
    }
  }
  if (!found) {
    problems.push(
      `no ALLOW AuthorizationPolicy has a source with both ${SCENARIO_CALLER}'s principal and a user's requestPrincipal (scenario 5)`,
    )
  }
  return problems
}
