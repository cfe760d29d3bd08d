import { podOwners } from '../deploy-model.ts'
import { nameOf } from '../kube-objects.ts'
import type { Rule } from './rule.ts'

/**
 * Every container of every pod (Deployments, StatefulSets and Jobs), init containers too: not root (its own runAsNonRoot, or the pod's), a
 * read-only root filesystem (writes only to volumes), a memory limit (the bench's peak RSS with
 * headroom), and no service-account token mounted: no process here talks to the Kubernetes API.
 */
export const containersLockedDown: Rule = (model) => {
  const problems: string[] = []
  for (const w of podOwners(model)) {
    const pod = w.object.spec.template.spec
    if (pod.automountServiceAccountToken !== false) {
      problems.push(`${nameOf(w)}: automountServiceAccountToken is not false`)
    }
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const where = `${nameOf(w)} container ${c.name}`
      const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot
      if (nonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`)
      if (c.securityContext?.readOnlyRootFilesystem !== true) {
        problems.push(`${where}: readOnlyRootFilesystem is not true`)
      }
      if (c.resources?.limits?.memory === undefined) problems.push(`${where}: no memory limit`)
    }
  }
  return problems
}
