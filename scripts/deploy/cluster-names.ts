/** The namespace deploy/kustomization.yaml puts every object in. */
export const NAMESPACE = 'jwt-factory'

/** etcd's headless Service and StatefulSet (deploy/base/etcd.yaml): members etcd-0, etcd-1, … */
export const ETCD_SERVICE = 'etcd'
export const ETCD_MEMBERS = 3

/**
 * Every name a Service is reached by from inside the cluster, from the same namespace (`name`)
 * to the fully qualified one, so a certificate matches whichever a client was given.
 */
export function inClusterHosts(name: string): string[] {
  return [
    name,
    `${name}.${NAMESPACE}`,
    `${name}.${NAMESPACE}.svc`,
    `${name}.${NAMESPACE}.svc.cluster.local`,
  ]
}

/**
 * etcd's certificate: the Service's names and each member's own (peers and clients use them), and
 * loopback, for a client on a `kubectl port-forward` to one member (docs/20-kubernetes.md).
 */
export function etcdHosts(): string[] {
  const members = Array.from(
    { length: ETCD_MEMBERS },
    (_, i) => `${ETCD_SERVICE}-${i}.${ETCD_SERVICE}`,
  )
  return [...[ETCD_SERVICE, ...members].flatMap(inClusterHosts), 'localhost', '127.0.0.1']
}
