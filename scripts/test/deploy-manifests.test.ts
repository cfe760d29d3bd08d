import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from '../demo/cluster.ts'
import { readDeployFiles } from '../deploy-check/deploy-files.ts'
import { deployModel, type DeployModel } from '../deploy-check/deploy-model.ts'
import type { KubeObject } from '../deploy-check/kube-objects.ts'
import { kustomizationProblems } from '../deploy-check/kustomization.ts'
import { parseYaml } from '../deploy-check/parse-yaml.ts'
import { DEPLOY_RULES } from '../deploy-check/rules/index.ts'
import { cliContainersUseFactoryStore } from '../deploy-check/rules/cli-store.ts'
import { containerPortsMatch } from '../deploy-check/rules/container-ports.ts'
import { containersLockedDown } from '../deploy-check/rules/container-security.ts'
import { imageCommandsRunBundles } from '../deploy-check/rules/image-commands.ts'
import { istioPortNamesMatch } from '../deploy-check/rules/istio-port-names.ts'
import { meshPayloadHeaderFromSidecarOnly } from '../deploy-check/rules/mesh-payload-header.ts'
import { meshUrlsReachPeersHttpPorts } from '../deploy-check/rules/mesh-urls.ts'
import { referencesResolve } from '../deploy-check/rules/references-resolve.ts'
import { noCommittedSecrets } from '../deploy-check/rules/no-committed-secrets.ts'
import { probesTargetHealth } from '../deploy-check/rules/probes.ts'
import { requestAuthenticationTrustsFactory } from '../deploy-check/rules/request-authentication.ts'
import { scenario5RequiresCallerAndUser } from '../deploy-check/rules/scenario5-policy.ts'
import { selectorsMatch } from '../deploy-check/rules/selectors-match.ts'
import { kustomizationResourceProblems } from '../deploy-check/rules/kustomization-resources.ts'
import { schemaProblems } from '../deploy-check/schemas.ts'

const deployDir = join(root, 'deploy')
const files = readDeployFiles(deployDir)
const model = deployModel(root, files)

/** A copy of the model with one object edited, so each rule is shown to catch its fault. */
function broken(edit: (copy: DeployModel, find: (kind: string, name: string) => any) => void) {
  const copy = structuredClone(model)
  const find = (kind: string, name: string) => {
    const found = copy.manifests.find(
      (m) => m.object.kind === kind && m.object.metadata.name === name,
    )
    if (found === undefined) throw new Error(`deploy/ has no ${kind}/${name}`)
    return found.object
  }
  edit(copy, find)
  return copy
}

const container = (workload: any, index = 0) => workload.spec.template.spec.containers[index]

describe('deploy/ parses', () => {
  it('every YAML file parses, with duplicate keys refused', () => {
    expect(files.map((f) => f.path)).toContain('kustomization.yaml')
    expect(files.filter((f) => f.path.startsWith('base/')).length).toBeGreaterThan(0)
    expect(files.flatMap((f) => f.problems.map((p) => `${f.path}: ${p}`))).toEqual([])
  })

  it("refuses a duplicate key: the original demo's AuthorizationPolicy with two source: keys", () => {
    const original = [
      'rules:',
      '  - from:',
      '      - source:',
      '          principals: [cluster.local/ns/default/sa/servicea]',
      '        source:',
      '          requestPrincipals: ["*"]',
    ].join('\n')
    const { documents, problems } = parseYaml(original)
    expect(problems.join('\n')).toMatch(/unique/i)
    expect(documents).toEqual([])
  })

  it('refuses a map key that is not a string (kustomize stops on an integer port key)', () => {
    const { documents, problems } = parseYaml(
      "portLevelMtls:\n  5555:\n    mode: PERMISSIVE\n  '5443':\n    mode: STRICT\n",
    )
    expect(problems).toEqual(['map key 5555 at line 2 is not a string: quote it'])
    expect(documents).toEqual([])
  })

  it('reads every document of a multi-document file, skipping an empty one', () => {
    expect(parseYaml('a: 1\n---\n---\nb: 2\n')).toEqual({
      documents: [{ a: 1 }, { b: 2 }],
      problems: [],
    })
  })
})

describe('deploy/ against the Kubernetes and Istio schemas', () => {
  it('every object validates against its schema', () => {
    expect(model.manifests.length).toBeGreaterThan(10)
    const problems = model.manifests.flatMap((m) =>
      schemaProblems(m.object).map(
        (p) => `${m.file} ${m.object.kind}/${m.object.metadata.name}: ${p}`,
      ),
    )
    expect(problems).toEqual([])
  })

  it('an unknown kind fails, and so does an object off its schema', () => {
    expect(
      schemaProblems({ apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'x' } }),
    ).toEqual(['no schema for apiVersion v1 kind Frobnicator'])
    const service = broken((_, find) => {
      find('Service', 'jwt-factory').spec.ports[0].port = 'http'
    }).manifests.find(
      (m) => m.object.kind === 'Service' && m.object.metadata.name === 'jwt-factory',
    )!
    expect(schemaProblems(service.object)).not.toEqual([])
    const ra = broken((_, find) => {
      find('RequestAuthentication', 'serviceb').spec.jwtRules[0].audiences = 'serviceb'
    }).manifests.find(
      (m) => m.object.kind === 'RequestAuthentication' && m.object.metadata.name === 'serviceb',
    )!
    expect(schemaProblems(ra.object)).not.toEqual([])
  })

  it('a misspelt field passes the schema (unknown fields are not refused) and the rule catches it', () => {
    const typo = broken((_, find) => {
      const rule = find('RequestAuthentication', 'servicec').spec.jwtRules[0]
      rule.audience = rule.audiences
      delete rule.audiences
    })
    const ra = typo.manifests.find(
      (m) => m.object.metadata.name === 'servicec' && m.object.kind === 'RequestAuthentication',
    )!
    expect(schemaProblems(ra.object)).toEqual([])
    expect(requestAuthenticationTrustsFactory(typo)).toEqual([
      expect.stringMatching(/servicec .*no audiences/),
    ])
  })

  it('kustomization.yaml is a Kustomization with known fields only', () => {
    expect(kustomizationProblems(model.kustomization)).toEqual([])
    expect(kustomizationProblems({ ...model.kustomization, resource: [] })).toEqual([
      'kustomization.yaml: unknown field resource',
    ])
  })

  it('its resources all exist and every file of deploy/ is listed', () => {
    expect(kustomizationResourceProblems(deployDir, model.kustomization, files)).toEqual([])
    const [first, ...rest] = model.kustomization.resources ?? []
    const missing = { ...model.kustomization, resources: [...rest, 'base/nowhere.yaml'] }
    expect(kustomizationResourceProblems(deployDir, missing, files)).toEqual([
      'kustomization.yaml lists base/nowhere.yaml, which does not exist',
      `${first} is not in kustomization.yaml's resources: it is never applied`,
    ])
  })
})

describe("deploy/ keeps the product's rules", () => {
  it.each(Object.entries(DEPLOY_RULES))('%s', (_, rule) => {
    expect(rule(model)).toEqual([])
  })
})

describe('each rule reports a broken copy', () => {
  it('RequestAuthentication: audiences dropped, another issuer, a jwksUri off the factory Service', () => {
    const problems = requestAuthenticationTrustsFactory(
      broken((_, find) => {
        const rules = find('RequestAuthentication', 'serviceb').spec.jwtRules
        delete rules[0].audiences
        rules[1].jwksUri = rules[1].jwksUri.replace(
          'jwt-factory.jwt-factory',
          'serviceb.jwt-factory',
        )
        find('RequestAuthentication', 'servicec').spec.jwtRules[0].issuer = 'https://issuer.example'
        find('RequestAuthentication', 'servicea').spec.jwtRules[0].jwksUri =
          'http://jwt-factory.jwt-factory.svc.cluster.local:5443/.well-known/jwks.json'
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/servicea.*jwksUri is HTTP but port 5443 serves HTTPS/),
      expect.stringMatching(/serviceb.*no audiences/),
      expect.stringMatching(
        /serviceb.*jwksUri host serviceb\.jwt-factory\.svc\.cluster\.local is not the factory's Service/,
      ),
      expect.stringMatching(/servicec .*issuer https:\/\/issuer\.example: not the factory's/),
    ])
  })

  it("RequestAuthentication: the user issuer's rule with the service key set, a port the Service lacks, a service left uncovered", () => {
    const problems = requestAuthenticationTrustsFactory(
      broken((copy, find) => {
        const rules = find('RequestAuthentication', 'servicea').spec.jwtRules
        rules[1].jwksUri = rules[0].jwksUri
        rules[0].jwksUri = rules[0].jwksUri.replace(':5555', ':5556')
        copy.manifests = copy.manifests.filter(
          (m) => m.object.metadata.name !== 'servicec' || m.object.kind !== 'RequestAuthentication',
        )
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/servicea.*jwksUri port 5556 is not a port of Service\/jwt-factory/),
      expect.stringMatching(
        /servicea.*\/users: jwksUri path \/\.well-known\/jwks\.json is not this issuer's key set/,
      ),
      expect.stringMatching(/Deployment\/servicec.*no RequestAuthentication selects it/),
    ])
  })

  it('selectors: a Service, a policy or a Deployment whose labels match no pods', () => {
    const problems = selectorsMatch(
      broken((_, find) => {
        find('Service', 'serviceb').spec.selector = { app: 'service-b' }
        find('AuthorizationPolicy', 'serviceb-scenario5').spec.selector.matchLabels = {
          app: 'svcb',
        }
        find('Deployment', 'servicec').spec.selector.matchLabels = { app: 'servicec', tier: 'x' }
      }),
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Deployment\/servicec.*does not match its pod template/),
        expect.stringMatching(/Service\/serviceb.*matches no pods/),
        expect.stringMatching(/AuthorizationPolicy\/serviceb-scenario5.*matches no pods/),
      ]),
    )
  })

  it('ports: a containerPort nobody listens on, a process left on loopback, a Service port to nowhere', () => {
    const problems = containerPortsMatch(
      broken((_, find) => {
        container(find('Deployment', 'serviceb')).ports[1].containerPort = 9443
        const servicec = container(find('Deployment', 'servicec'))
        servicec.env = servicec.env.filter((v: { name: string }) => v.name !== 'HOST')
        find('Service', 'jwt-factory').spec.ports[1].targetPort = 5444
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /Deployment\/serviceb.*containerPort 9443, but serviceb listens on 3001, 8443/,
      ),
      expect.stringMatching(/Deployment\/serviceb.*listens on 8443, not declared/),
      expect.stringMatching(/Deployment\/servicec.*listens on 127\.0\.0\.1:3002, loopback only/),
      expect.stringMatching(/Deployment\/servicec.*listens on 127\.0\.0\.1:9443, loopback only/),
      expect.stringMatching(/Service\/jwt-factory.*port 5443 targets 5444/),
      expect.stringMatching(/Service\/serviceb.*port 8443 targets 8443/),
    ])
  })

  it('ports: a factory the app itself would refuse to start (no PUBLIC_URL beyond loopback)', () => {
    const problems = containerPortsMatch(
      broken((_, find) => {
        const factory = container(find('Deployment', 'jwt-factory'))
        factory.env = factory.env.filter((v: { name: string }) => v.name !== 'PUBLIC_URL')
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/^Deployment\/jwt-factory.*\n.*PUBLIC_URL: required/),
    ])
  })

  it('Service ports: an HTTPS port named http- (the sidecar would parse TLS as HTTP), appProtocol counted', () => {
    const problems = istioPortNamesMatch(
      broken((_, find) => {
        find('Service', 'jwt-factory').spec.ports[1].name = 'http-factory-tls'
        const servicea = find('Service', 'servicea').spec.ports
        servicea[0].appProtocol = 'tls'
        servicea[1].name = 'secure'
        servicea[1].appProtocol = 'https'
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /Service\/jwt-factory.*port 5443 \(http-factory-tls\) serves HTTPS: name it https-… or tls-…/,
      ),
      expect.stringMatching(
        /Service\/servicea.*port 3000 \(http-servicea\) serves HTTP: name it http-… or http2-…/,
      ),
    ])
  })

  it('ports: a service whose SERVICE_NAME is not the one its command line names (it would not start)', () => {
    const problems = containerPortsMatch(
      broken((_, find) => {
        container(find('Deployment', 'serviceb')).env.push({
          name: 'SERVICE_NAME',
          value: 'servicea',
        })
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/Deployment\/serviceb.*runs serviceb with SERVICE_NAME servicea/),
    ])
  })

  it('probes: missing, off /healthz, on an undeclared port, HTTP on the HTTPS port', () => {
    const problems = probesTargetHealth(
      broken((_, find) => {
        const a = container(find('Deployment', 'servicea'))
        delete a.readinessProbe
        a.livenessProbe.httpGet.path = '/'
        const b = container(find('Deployment', 'serviceb'))
        b.readinessProbe.httpGet.port = 4000
        b.livenessProbe.httpGet.port = 8443
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/servicea\.yaml\) readinessProbe: missing/),
      expect.stringMatching(/servicea\.yaml\) livenessProbe: path \/, not \/healthz/),
      expect.stringMatching(
        /serviceb\.yaml\) readinessProbe: port 4000 is not a declared containerPort/,
      ),
      expect.stringMatching(/serviceb\.yaml\) livenessProbe: HTTP on 8443, which serves HTTPS/),
    ])
  })

  it('containers: root allowed, a writable root filesystem, no memory limit, a mounted token', () => {
    const problems = containersLockedDown(
      broken((_, find) => {
        const etcd = find('StatefulSet', 'etcd')
        delete etcd.spec.template.spec.securityContext.runAsNonRoot
        delete container(etcd).securityContext.runAsNonRoot
        const factory = find('Deployment', 'jwt-factory')
        container(factory).securityContext.readOnlyRootFilesystem = false
        delete container(factory).resources.limits.memory
        delete factory.spec.template.spec.automountServiceAccountToken
      }),
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/StatefulSet\/etcd.*container etcd: runAsNonRoot is not true/),
        expect.stringMatching(/Deployment\/jwt-factory.*automountServiceAccountToken is not false/),
        expect.stringMatching(/Deployment\/jwt-factory.*readOnlyRootFilesystem is not true/),
        expect.stringMatching(/Deployment\/jwt-factory.*no memory limit/),
      ]),
    )
    expect(problems).toHaveLength(4)
  })

  it('references: a missing ServiceAccount, Secret, ConfigMap or volume, a *_FILE its Secret lacks', () => {
    const problems = referencesResolve(
      broken((copy, find) => {
        const factory = find('Deployment', 'jwt-factory').spec.template.spec
        factory.serviceAccountName = 'factory'
        factory.volumes.find((v: any) => v.name === 'kek').secret.secretName = 'kek'
        factory.containers[0].envFrom[0].configMapRef.name = 'factory-env'
        const admin = copy.kustomization.secretGenerator!.find(
          (g) => g.name === 'jwt-factory-admin',
        )!
        admin.files = ['generated/secrets/jwt-factory-admin/token']
        const servicea = find('Deployment', 'servicea').spec.template.spec.containers[0]
        servicea.volumeMounts.push({ name: 'keys', mountPath: '/keys' })
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/Deployment\/jwt-factory.*ServiceAccount factory does not exist/),
      expect.stringMatching(/Deployment\/jwt-factory.*volume kek: no Secret kek/),
      expect.stringMatching(/Deployment\/jwt-factory.*no ConfigMap factory-env/),
      expect.stringMatching(
        /ADMIN_TOKEN_FILE=\/etc\/jwt-factory\/admin\/admin-token, but Secret jwt-factory-admin holds token/,
      ),
      expect.stringMatching(/Deployment\/servicea.*mounts keys, which is no volume/),
    ])
  })

  it('secrets: a Secret with values, a PEM block in a ConfigMap, a generator literal or reading outside generated/', () => {
    const problems = noCommittedSecrets(
      broken((copy) => {
        const object = (kind: string, extra: object): KubeObject =>
          ({ apiVersion: 'v1', kind, metadata: { name: 'leak' }, ...extra }) as KubeObject
        copy.manifests.push({
          file: 'base/leak.yaml',
          object: object('Secret', { stringData: { token: 'x' } }),
        })
        copy.manifests.push({
          file: 'base/leak.yaml',
          object: object('ConfigMap', { data: { 'ca.pem': '-----BEGIN PRIVATE KEY-----' } }),
        })
        const [first] = copy.kustomization.secretGenerator!
        first!.literals = ['ADMIN_TOKEN=x']
        copy.kustomization.configMapGenerator![0]!.envs = ['../apps/jwt-factory/.env']
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(/Secret\/leak.*holds values/),
      expect.stringMatching(/ConfigMap\/leak.*holds a PEM block/),
      expect.stringMatching(/secretGenerator .* has literals/),
      expect.stringMatching(
        /configMapGenerator jwt-factory-env reads \.\.\/apps\/jwt-factory\/\.env, outside generated\/env\//,
      ),
    ])
  })

  it("the OAuth clients Job's pods: root allowed, a writable root filesystem, a token, a Secret that is not generated", () => {
    const edited = broken((_, find) => {
      const job = find('Job', 'jwt-factory-demo-clients').spec.template.spec
      delete job.automountServiceAccountToken
      delete job.securityContext.runAsNonRoot
      delete job.containers[1].securityContext.runAsNonRoot
      job.containers[2].securityContext.readOnlyRootFilesystem = false
      job.volumes.find((v: any) => v.name === 'kek').secret.secretName = 'kek'
    })
    expect(containersLockedDown(edited)).toEqual([
      expect.stringMatching(
        /Job\/jwt-factory-demo-clients.*automountServiceAccountToken is not false/,
      ),
      expect.stringMatching(/Job\/jwt-factory-demo-clients.*container serviceb: runAsNonRoot/),
      expect.stringMatching(/Job\/jwt-factory-demo-clients.*container servicec: readOnlyRoot/),
    ])
    expect(referencesResolve(edited)).toEqual([
      expect.stringMatching(/Job\/jwt-factory-demo-clients.*volume kek: no Secret kek/),
    ])
  })

  it('image commands: the sources (not in the image), a CLI never bundled, a shell instead of node', () => {
    const problems = imageCommandsRunBundles(
      broken((_, find) => {
        const job = find('Job', 'jwt-factory-demo-clients').spec.template.spec
        job.containers[0].command[1] = 'apps/jwt-factory/src/clients-cli.ts'
        job.containers[1].command[1] = 'apps/jwt-factory/dist/keys-cli.js'
        container(find('Deployment', 'servicea')).command[0] = 'sh'
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /Job\/jwt-factory-demo-clients.*container servicea: runs apps\/jwt-factory\/src\/clients-cli\.ts, which is not a bundle the image holds/,
      ),
      expect.stringMatching(
        /container serviceb: runs apps\/jwt-factory\/dist\/keys-cli\.js, which is not/,
      ),
      expect.stringMatching(/Deployment\/servicea.*container servicea: runs sh, not node/),
    ])
  })

  it("the factory's CLIs: another STORE, other etcd endpoints, a KEK that is not the factory's", () => {
    const problems = cliContainersUseFactoryStore(
      broken((_, find) => {
        const [a, b, c] = find('Job', 'jwt-factory-demo-clients').spec.template.spec.containers
        const set = (container: any, name: string, value: string) => {
          container.env.find((v: { name: string }) => v.name === name).value = value
        }
        set(a, 'ETCD_ENDPOINTS', 'https://etcd-0.etcd.jwt-factory.svc.cluster.local:2379')
        set(b, 'STORE', 'files')
        set(c, 'STORE_KEK_FILE', '/etc/jwt-factory/client-secrets/servicec/client-secret')
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /container servicea: etcd endpoints \["https:\/\/etcd-0[^\]]*\], the factory's \[.*etcd-2/,
      ),
      expect.stringMatching(/container serviceb: STORE "files", the factory's "etcd"/),
      expect.stringMatching(
        /container servicec: STORE_KEK_FILE in "servicec-client-secret\/client-secret", the factory's "jwt-factory-kek\/store\.kek"/,
      ),
    ])
  })

  it("scenario 5: the two conditions in separate sources (ORed), or another caller's principal", () => {
    const split = broken((_, find) => {
      const rule = find('AuthorizationPolicy', 'serviceb-scenario5').spec.rules[0]
      const { principals, requestPrincipals } = rule.from[0].source
      rule.from = [{ source: { principals } }, { source: { requestPrincipals } }]
    })
    expect(scenario5RequiresCallerAndUser(split)).toEqual([
      expect.stringMatching(
        /serviceb-scenario5.*rule 0: principals and requestPrincipals in separate sources are ORed/,
      ),
      expect.stringMatching(/no ALLOW AuthorizationPolicy has a source with both/),
    ])
    const other = broken((_, find) => {
      const source = find('AuthorizationPolicy', 'serviceb-scenario5').spec.rules[0].from[0].source
      source.principals = ['cluster.local/ns/jwt-factory/sa/servicec']
      source.requestPrincipals = ['https://jwt-factory.jwt-factory.svc.cluster.local:5443/*']
    })
    expect(scenario5RequiresCallerAndUser(other)).toEqual([
      expect.stringMatching(
        /do not name servicea \(cluster\.local\/ns\/jwt-factory\/sa\/servicea\)/,
      ),
      expect.stringMatching(
        /requestPrincipal https:\/\/jwt-factory\.jwt-factory\.svc\.cluster\.local:5443\/\* is not from the factory's user issuer/,
      ),
    ])
  })
})

describe('?verify=mesh: each rule reports a broken copy', () => {
  const policy = (find: (kind: string, name: string) => any, name: string) =>
    find('AuthorizationPolicy', name).spec

  it('attack: a policy that lets a request without a token reach the HTTP port, a forged x-jwt-payload riding along → reported by the deploy check', () => {
    const problems = meshPayloadHeaderFromSidecarOnly(
      broken((copy, find) => {
        // servicea's identity alone: a request from servicea's pod with no token passes.
        delete policy(find, 'serviceb-mesh-from-servicea').rules[0].from[0].source.requestPrincipals
        // The HTTPS rule without its port: it now admits servicea on 3001 too.
        delete policy(find, 'serviceb-https-from-servicea').rules[0].to
        // A rule for every port but HTTPS still matches the HTTP port.
        policy(find, 'servicec-https-from-peers').rules[0].to = [
          { operation: { notPorts: ['9443'] } },
        ]
        // An ALLOW policy with no selector applies to the whole namespace; /healthz is no mesh
        // path, a prefix pattern can be.
        const open = (name: string, paths: string[]) =>
          copy.manifests.push({
            file: 'base/open.yaml',
            object: {
              apiVersion: 'security.istio.io/v1',
              kind: 'AuthorizationPolicy',
              metadata: { name },
              spec: { action: 'ALLOW', rules: [{ to: [{ operation: { paths } }] }] },
            } as KubeObject,
          })
        open('allow-probes', ['/healthz'])
        open('allow-scenarios', ['/scenario*'])
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /serviceb-https-from-servicea.*rule 0: allows serviceb's HTTP port 3001 on \/scenario1-server or \/scenario2-server without requiring https:\/\/jwt-factory\.jwt-factory\.svc\.cluster\.local:5443\/servicea as the request principal in every source, so a request with no token, or a user's, carries a x-jwt-payload the app trusts/,
      ),
      expect.stringMatching(
        /serviceb-mesh-from-servicea.*rule 0: allows serviceb's HTTP port 3001/,
      ),
      expect.stringMatching(/allow-scenarios.*rule 0: allows serviceb's HTTP port 3001/),
      expect.stringMatching(/servicec-https-from-peers.*rule 0: allows servicec's HTTP port 3002/),
      expect.stringMatching(/allow-scenarios.*rule 0: allows servicec's HTTP port 3002/),
    ])
  })

  it("attack: scenario 5's rule without its `to`: servicea's pod with a user's token reaches /scenario1-server, where serviceb trusts x-jwt-payload → reported by the deploy check", () => {
    const problems = meshPayloadHeaderFromSidecarOnly(
      broken((_, find) => {
        delete policy(find, 'serviceb-scenario5').rules[0].to
        // A mesh rule that also takes a user's principal beside servicea's own.
        policy(find, 'servicec-mesh-from-servicea').rules[0].from[0].source.requestPrincipals.push(
          'https://jwt-factory.jwt-factory.svc.cluster.local:5443/users/*',
        )
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /serviceb-scenario5.*rule 0: allows serviceb's HTTP port 3001 on \/scenario1-server or \/scenario2-server without requiring .*\/servicea as the request principal/,
      ),
      expect.stringMatching(
        /servicec-mesh-from-servicea.*rule 0: allows servicec's HTTP port 3002/,
      ),
    ])
    // Scenario 5's own path on 3001 is not a mesh path: the committed rule passes.
    expect(meshPayloadHeaderFromSidecarOnly(broken(() => {}))).toEqual([])
  })

  it('attack: no ALLOW policy on a service that trusts the header, so no token is needed → reported by the deploy check', () => {
    const problems = meshPayloadHeaderFromSidecarOnly(
      broken((copy) => {
        copy.manifests = copy.manifests.filter(
          (m) =>
            m.object.kind !== 'AuthorizationPolicy' ||
            !m.object.metadata.name.startsWith('servicec'),
        )
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /Deployment\/servicec.*no ALLOW AuthorizationPolicy selects it, so a request without a token reaches its HTTP port with any x-jwt-payload/,
      ),
    ])
  })

  it('the sidecar writes another header, or drops the token the app compares it with', () => {
    const problems = meshPayloadHeaderFromSidecarOnly(
      broken((_, find) => {
        find('RequestAuthentication', 'serviceb').spec.jwtRules[0].outputPayloadToHeader =
          'x-payload'
        find('RequestAuthentication', 'servicec').spec.jwtRules[0].forwardOriginalToken = false
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /Deployment\/serviceb.*MESH_PAYLOAD_HEADER x-jwt-payload: no RequestAuthentication selecting it writes that header/,
      ),
      expect.stringMatching(
        /Deployment\/servicec.*the jwtRule for https:\/\/jwt-factory\.jwt-factory\.svc\.cluster\.local:5443 writes it without forwardOriginalToken: true/,
      ),
    ])
  })

  it('attack: a service-token rule that also reads ?access_token= (no fromHeaders) or another header → reported by the deploy check', () => {
    const problems = meshPayloadHeaderFromSidecarOnly(
      broken((_, find) => {
        delete find('RequestAuthentication', 'serviceb').spec.jwtRules[0].fromHeaders
        find('RequestAuthentication', 'servicec').spec.jwtRules[0].fromHeaders = [
          { name: 'Authorization', prefix: 'bearer ' },
        ]
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /Deployment\/serviceb.*the jwtRule for .*:5443 does not pin fromHeaders to one Authorization with prefix 'Bearer '.*\?access_token=/,
      ),
      expect.stringMatching(/Deployment\/servicec.*does not pin fromHeaders/),
    ])
  })

  it("servicea's mesh URLs: an HTTPS port, another service's host, a peer that trusts no header", () => {
    const problems = meshUrlsReachPeersHttpPorts(
      broken((_, find) => {
        const env = container(find('Deployment', 'servicea')).env
        const set = (name: string, value: string) =>
          (env.find((v: { name: string }) => v.name === name).value = value)
        set('SERVICEB_MESH_URL', 'http://serviceb.jwt-factory.svc.cluster.local:8443')
        set('SERVICEC_MESH_URL', 'http://servicea.jwt-factory.svc.cluster.local:3000')
        const b = container(find('Deployment', 'serviceb'))
        b.env = b.env.filter((v: { name: string }) => v.name !== 'MESH_PAYLOAD_HEADER')
      }),
    )
    expect(problems).toEqual([
      expect.stringMatching(
        /SERVICEB_MESH_URL .*:8443: port 8443 of Service\/serviceb .*is not its plain HTTP port/,
      ),
      expect.stringMatching(/SERVICEB_MESH_URL .*: serviceb sets no MESH_PAYLOAD_HEADER/),
      expect.stringMatching(/SERVICEC_MESH_URL .*: the host is not servicec's Service/),
    ])
  })
})
