import { workloads } from '../deploy-model.ts'
import { type Labels, nameOf } from '../kube-objects.ts'
import { selects } from '../selectors.ts'
import type { Rule } from './rule.ts'

/** Where each kind keeps the selector that names its pods. */
const SELECTOR_OF: Record<string, (spec: any) => Labels | undefined> = {
  Service: (spec) => spec?.selector,
  RequestAuthentication: (spec) => spec?.selector?.matchLabels,
  AuthorizationPolicy: (spec) => spec?.selector?.matchLabels,
  PeerAuthentication: (spec) => spec?.selector?.matchLabels,
  PodDisruptionBudget: (spec) => spec?.selector?.matchLabels,
}

/** Kinds that may leave the selector out and so apply to the whole namespace. */
const NAMESPACE_WIDE = new Set(['PeerAuthentication'])

/**
 * Every selector picks the pods of some Deployment or StatefulSet (a typo in a label leaves a
 * Service with no endpoints, or a policy guarding nothing, and the cluster says nothing), and each
 * workload's own selector matches its pod template.
 */
export const selectorsMatch: Rule = (model) => {
  const pods = workloads(model)
  const problems: string[] = []
  for (const w of pods) {
    if (!selects(w.object.spec.selector.matchLabels, w.object.spec.template.metadata?.labels)) {
      problems.push(`${nameOf(w)}: spec.selector does not match its pod template's labels`)
    }
  }
  for (const m of model.manifests) {
    const selectorOf = SELECTOR_OF[m.object.kind]
    if (selectorOf === undefined) continue
    const selector = selectorOf(m.object.spec)
    if (selector === undefined && NAMESPACE_WIDE.has(m.object.kind)) continue
    if (!pods.some((w) => selects(selector, w.object.spec.template.metadata?.labels))) {
      problems.push(`${nameOf(m)}: selector ${JSON.stringify(selector ?? {})} matches no pods`)
    }
  }
  return problems
}
