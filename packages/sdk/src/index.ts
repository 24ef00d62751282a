export {
  type ClientOptions,
  createClient,
  normalizeBaseUrl,
  type RequestOptions,
  TokendeskClient,
} from './client.js'
export { type ErrorReason, TokendeskApiError, TokendeskTimeoutError } from './errors.js'
export { JwtSigner, parseKeyFile, readKeyFile } from './key-file.js'
export { type HttpMethod, ROUTES, type Route } from './routes.js'
export type { RetryOptions } from './transport.js'
export type * from './types.js'
