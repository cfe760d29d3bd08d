export { readBearerToken } from './bearer-token.ts'
export { bearerChallenge, type BearerChallenge, type BearerErrorCode } from './www-authenticate.ts'
