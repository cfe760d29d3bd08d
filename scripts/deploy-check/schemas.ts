import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy'
import { RequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication'
import { PeerAuthentication as PeerAuthenticationV1beta1 } from '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'

/** A model class: built from a plain object, `validate()` throws naming every schema error. */
interface Model {
  apiVersion: string
  kind: string
  new (data: any): { validate(): void }
}

/**
 * The kinds deploy/ may hold, each with its schema: Kubernetes' OpenAPI schemas and Istio's CRD
 * schemas. A kind not listed fails the check: nothing is applied that nobody validated.
 */
const MODELS = new Map<string, Model>(
  [
    Namespace,
    ServiceAccount,
    Service,
    ConfigMap,
    Secret,
    Deployment,
    StatefulSet,
    Job,
    PodDisruptionBudget,
    RequestAuthentication,
    AuthorizationPolicy,
  ].map((model: Model) => [`${model.apiVersion}/${model.kind}`, model]),
)

/**
 * PeerAuthentication became security.istio.io/v1 in Istio 1.22, after the newest Istio models
 * that run on Node 20 (@kubernetes-models/istio 2.x) were made: they have it as v1beta1 only.
 * Istio serves one schema for every version of the CRD (in those models, v1 and v1beta1 of
 * RequestAuthentication and AuthorizationPolicy differ in the version string alone), so a v1
 * PeerAuthentication is checked against the v1beta1 schema, its apiVersion set to match.
 */
const SAME_SCHEMA_AS: Record<string, { model: Model; apiVersion: string }> = {
  'security.istio.io/v1/PeerAuthentication': {
    model: PeerAuthenticationV1beta1,
    apiVersion: PeerAuthenticationV1beta1.apiVersion,
  },
}

/**
 * Why an object does not match its schema (empty when it does), chosen by apiVersion and kind.
 * These schemas, like Kubernetes' OpenAPI ones, do not refuse unknown fields (the API server's
 * strict field validation does): a misspelt field that matters, `audience:` for `audiences:`, is
 * caught by the product's rules, which find the real field missing.
 */
export function schemaProblems(object: unknown): string[] {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown }
  const key = `${String(apiVersion)}/${String(kind)}`
  const alias = SAME_SCHEMA_AS[key]
  const model = MODELS.get(key) ?? alias?.model
  if (model === undefined)
    return [`no schema for apiVersion ${String(apiVersion)} kind ${String(kind)}`]
  const checked =
    alias === undefined ? object : { ...(object as object), apiVersion: alias.apiVersion }
  try {
    new model(checked).validate()
    return []
  } catch (err) {
    return [(err as Error).message]
  }
}
