/**
 * Test helpers for every workspace (`@jwt-factory/jwt/testing`): forging tokens by hand and the
 * one catalogue of attacks each place that verifies runs. Never imported by product code.
 */
export {
  b64url,
  encodeSegment,
  flipS,
  forgeToken,
  hasLowS,
  hs256Token,
  resignHs256,
  signForged,
  signInput,
  splitToken,
  withPayload,
  withSignature,
  type ForgingKey,
  type Segment,
  type SignForgedOptions,
  type TokenParts,
} from '../forge.ts'
export {
  acceptedTwins,
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  validToken,
  type AcceptedTwin,
  type Attack,
  type AttackContext,
  type AttackerKeys,
} from './attack-catalogue.ts'
export { opensslEs256Tokens } from './openssl-signer.ts'
