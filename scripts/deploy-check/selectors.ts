import type { Labels } from './kube-objects.ts'

/**
 * Whether a label selector picks a pod with these labels. An empty selector is treated as
 * selecting nothing here: a Service or policy in deploy/ is always meant for named pods, and an
 * empty one would silently apply to every pod in the namespace.
 */
export function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  const wanted = Object.entries(selector ?? {})
  return wanted.length > 0 && wanted.every(([key, value]) => labels?.[key] === value)
}
