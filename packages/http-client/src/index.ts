export { createHttpClient, type HttpClient, type HttpClientOptions } from './http-client.ts'
export type { JsonResponse, RequestJsonOptions } from './request-json.ts'
export { isNoAnswer, toHopError } from './hop-error.ts'
export type { TlsPeer } from './tls-peer-agent.ts'
