import { APP_BUNDLES, CLI_BUNDLES } from '../../build/bundle-apps.ts'
import { imageName } from '../container-process.ts'
import { podOwners } from '../deploy-model.ts'
import { containerArgv } from '../image-command.ts'
import { nameOf } from '../kube-objects.ts'
import type { Rule } from './rule.ts'

/**
 * The bundles `npm run build` makes and the Dockerfile copies into the image; the image-layout
 * test (scripts/test/image-layout.test.ts) finds every one of them in the image.
 */
export const IMAGE_BUNDLES: ReadonlySet<string> = new Set(
  [...Object.values(APP_BUNDLES), ...Object.values(CLI_BUNDLES)].map((b) => b.outfile),
)

/**
 * Every container of the project's image, in a Deployment or a Job, runs node on a bundle the
 * image holds. A path into src/ (which the image lacks) or a CLI never bundled would start, stop
 * with node's "Cannot find module", and be restarted by its Deployment or retried by its Job with
 * no other sign.
 */
export const imageCommandsRunBundles: Rule = (model) => {
  const problems: string[] = []
  for (const owner of podOwners(model)) {
    const pod = owner.object.spec.template.spec
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      if (!model.image.names.has(imageName(c.image))) continue
      const argv = containerArgv(model.image.command, c.command, c.args)
      const where = `${nameOf(owner)} container ${c.name}`
      if (argv[0] !== 'node') problems.push(`${where}: runs ${argv[0]}, not node`)
      // The first word after node's own flags is the script it runs.
      const script = argv.slice(1).find((word) => !word.startsWith('-'))
      if (script === undefined || !IMAGE_BUNDLES.has(script)) {
        problems.push(
          `${where}: runs ${script ?? 'no script'}, which is not a bundle the image holds (${[...IMAGE_BUNDLES].join(', ')})`,
        )
      }
    }
  }
  return problems
}
