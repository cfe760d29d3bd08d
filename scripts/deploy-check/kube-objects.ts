/**
 * The fields of Kubernetes and Istio objects that the product's rules read. The schemas
 * (schemas.ts) check the whole object first; these types only name what the rules use.
 */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Labels }
  spec?: unknown
  data?: unknown
  stringData?: unknown
}

export type Labels = Record<string, string>

/** One object and the file it came from, for messages. */
export interface Manifest {
  file: string
  object: KubeObject
}

export interface EnvVar {
  name: string
  value?: string
  valueFrom?: unknown
}

export interface ContainerPort {
  containerPort: number
  name?: string
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: 'HTTP' | 'HTTPS' }
  tcpSocket?: { port: number | string }
  exec?: unknown
  grpc?: { port: number }
}

export interface Container {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  env?: EnvVar[]
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[]
  ports?: ContainerPort[]
  readinessProbe?: Probe
  livenessProbe?: Probe
  startupProbe?: Probe
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> }
  securityContext?: SecurityContext
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[]
}

export interface Volume {
  name: string
  secret?: { secretName: string }
  configMap?: { name: string }
}

export interface SecurityContext {
  runAsNonRoot?: boolean
  readOnlyRootFilesystem?: boolean
}

export interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  securityContext?: SecurityContext
  serviceAccountName?: string
  automountServiceAccountToken?: boolean
  volumes?: Volume[]
}

/** A Deployment or a StatefulSet: what makes long-running pods. */
export interface Workload extends KubeObject {
  spec: {
    selector: { matchLabels?: Labels }
    template: { metadata?: { labels?: Labels }; spec: PodSpec }
    volumeClaimTemplates?: { metadata: { name: string } }[]
  }
}

/** A Workload, or a Job: whatever has a pod template. A Job's pods run to completion. */
export interface PodOwner extends KubeObject {
  spec: Partial<Workload['spec']> & Pick<Workload['spec'], 'template'>
}

export interface ServicePort {
  name?: string
  appProtocol?: string
  port: number
  targetPort?: number | string
}

export interface Service extends KubeObject {
  spec: { selector?: Labels; ports?: ServicePort[]; clusterIP?: string }
}

export interface JwtRule {
  issuer?: string
  jwksUri?: string
  audiences?: string[]
  /** The header the sidecar writes a verified token's payload into. */
  outputPayloadToHeader?: string
  /** Whether the token itself goes on to the app (Istio's default: it is removed). */
  forwardOriginalToken?: boolean
  /** Where the token is read; none of the three: `Authorization: Bearer` and `?access_token=`. */
  fromHeaders?: { name?: string; prefix?: string }[]
  fromParams?: string[]
  fromCookies?: string[]
}

export interface RequestAuthentication extends KubeObject {
  spec: { selector?: { matchLabels?: Labels }; jwtRules?: JwtRule[] }
}

export interface PolicySource {
  principals?: string[]
  requestPrincipals?: string[]
  [condition: string]: unknown
}

export interface PolicyRule {
  from?: { source?: PolicySource }[]
  to?: { operation?: { ports?: string[]; notPorts?: string[]; [condition: string]: unknown } }[]
  when?: unknown[]
}

export interface AuthorizationPolicy extends KubeObject {
  spec: {
    selector?: { matchLabels?: Labels }
    action?: string
    rules?: PolicyRule[]
  }
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet'])

export const isWorkload = (o: KubeObject): o is Workload => WORKLOAD_KINDS.has(o.kind)

export const isPodOwner = (o: KubeObject): o is PodOwner => isWorkload(o) || o.kind === 'Job'

/** The objects of one kind, each with its file. */
export function ofKind<T extends KubeObject>(manifests: Manifest[], kind: string) {
  return manifests
    .filter((m) => m.object.kind === kind)
    .map((m) => ({ file: m.file, object: m.object as T }))
}

/** `kind/name (file)`: how a problem names an object. */
export const nameOf = (m: Manifest): string =>
  `${m.object.kind}/${m.object.metadata.name} (${m.file})`
