/**
 * Test helpers for the HTTP processes (the factory and the services): what a well-formed refusal
 * looks like, an app.request() of fuzzed input, whether a port still takes connections, and a
 * request from any source address with any Host.
 * Imported as `@jwt-factory/server/testing`, never by product code.
 */
export { isErrorShape, isVerifyRefusal } from './response-shapes.ts'
export { sendFuzzRequest, type FuzzRequest } from './fuzz-request.ts'
export { connectOutcome } from './connect-outcome.ts'
export { nonLoopbackAddress, requestFrom, type RequestFromOptions } from './request-from.ts'
export { activeRouterName } from './active-router.ts'
