import { defineConfig } from 'vitest/config'
import workspace from './vitest.config.ts'

/**
 * The root config narrowed to the jwt package's own tests, for the mutation run
 * (stryker.config.mjs). Stryker's `testFiles` option would narrow it too, but with it Stryker
 * 9.6 activates a mutant of a module-level value after the module has loaded, so every such
 * mutant "survives" (stryker-js issue 6144).
 */
const jwtOnly = (workspace.test?.projects ?? []).filter(
  (project) => typeof project === 'object' && 'test' in project && project.test?.name === 'jwt',
)

export default defineConfig({ ...workspace, test: { ...workspace.test, projects: jwtOnly } })
