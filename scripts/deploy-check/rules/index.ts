import { cliContainersUseFactoryStore } from './cli-store.ts'
import { containerPortsMatch } from './container-ports.ts'
import { containersLockedDown } from './container-security.ts'
import { imageCommandsRunBundles } from './image-commands.ts'
import { istioPortNamesMatch } from './istio-port-names.ts'
import { meshPayloadHeaderFromSidecarOnly } from './mesh-payload-header.ts'
import { meshUrlsReachPeersHttpPorts } from './mesh-urls.ts'
import { noCommittedSecrets } from './no-committed-secrets.ts'
import { probesTargetHealth } from './probes.ts'
import { requestAuthenticationTrustsFactory } from './request-authentication.ts'
import { referencesResolve } from './references-resolve.ts'
import type { Rule } from './rule.ts'
import { scenario5RequiresCallerAndUser } from './scenario5-policy.ts'
import { selectorsMatch } from './selectors-match.ts'

/** The product's own rules over deploy/, each named as the test reports it. */
export const DEPLOY_RULES: Record<string, Rule> = {
  'each RequestAuthentication trusts the factory: its issuers, its Service and port, pinned audiences':
    requestAuthenticationTrustsFactory,
  'every selector matches the pods of a Deployment or StatefulSet': selectorsMatch,
  'every containerPort is what its process listens on, beyond loopback': containerPortsMatch,
  'every Service port is named for the protocol its process serves, as Istio reads it':
    istioPortNamesMatch,
  'readiness and liveness probe a declared port, the apps at /healthz': probesTargetHealth,
  'every container: runAsNonRoot, readOnlyRootFilesystem, a memory limit, no token':
    containersLockedDown,
  'everything a pod names exists: accounts, Secrets, ConfigMaps, volumes, the files *_FILE names':
    referencesResolve,
  'no secret committed: no Secret values, generators read generated/ only': noCommittedSecrets,
  "scenario 5: servicea's principal AND the user's request principal in one source":
    scenario5RequiresCallerAndUser,
  '?verify=mesh: a trusted payload header comes from the sidecar, on an HTTP port only a request principal passes':
    meshPayloadHeaderFromSidecarOnly,
  "?verify=mesh: servicea's mesh URLs are its peers' plain HTTP ports, and the peers trust their sidecar":
    meshUrlsReachPeersHttpPorts,
  'every container of the image runs node on a bundle the image holds': imageCommandsRunBundles,
  "the factory's CLIs (the OAuth clients Job) work on the factory's store and KEK":
    cliContainersUseFactoryStore,
}
