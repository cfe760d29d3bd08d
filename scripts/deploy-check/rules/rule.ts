import type { DeployModel } from '../deploy-model.ts'

/** A product rule over deploy/: each problem a sentence naming the object and what is wrong. */
export type Rule = (model: DeployModel) => string[]
