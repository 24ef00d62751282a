import type { OperationName } from './types.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Route {
  method: HttpMethod
  /** Relative to `adminRestApiUrl`, with `{param}` placeholders, as in the OpenAPI document. */
  path: string
  /** The success status. */
  status: number
  /** `true` for tokendesk extensions (`[ext]` in admin-api.md); the rest is RSA's documented API. */
  extension: boolean
}

const route = (method: HttpMethod, path: string, status = 200, extension = false): Route => ({
  method,
  path,
  status,
  extension,
})
const ext = (method: HttpMethod, path: string, status = 200): Route =>
  route(method, path, status, true)

/**
 * Where each operation goes. The client builds every request from this table, and the drift
 * test checks every entry against the server's OpenAPI document.
 */
export const ROUTES = {
  enableEmergencyTokencode: route('PUT', '/v1/users/{userId}/emergencyTokencode'),
  enableEmergencyTokencodeV2: route('PUT', '/v2/users/{userId}/emergencyTokencode'),
  disableEmergencyTokencode: route('DELETE', '/v1/users/{userId}/emergencyTokencode/{eacId}'),
  unlockMethods: route('PATCH', '/v1/users/{userId}/methods'),
  enableToken: route('PATCH', '/v1/users/{userId}/sidTokens/enable'),
  disableToken: route('PATCH', '/v1/users/{userId}/sidTokens/disable'),
  assignToken: route('PATCH', '/v1/users/{userId}/sidTokens/assign'),
  unassignToken: route('PATCH', '/v1/users/{userId}/sidTokens/unassign'),
  clearTokenPin: route('PATCH', '/v2/users/{userId}/sidTokens/clearPin'),
  deleteToken: route('DELETE', '/v1/sidTokens/delete'),
  importTokens: ext('POST', '/v1/sidTokens/import'),
  importTokensPskc: ext('POST', '/v1/sidTokens/import/pskc'),
  listDevices: route('GET', '/v2/users/{userId}/devices'),
  lookupUser: route('POST', '/v1/users/lookup'),
  searchUsers: route('POST', '/v1/users/search'),
  searchUsersV2: route('POST', '/v2/users/search'),
  setUserStatus: route('PUT', '/v1/users/{userId}/userStatus'),
  createUser: ext('POST', '/v1/users', 201),
  updateUser: ext('PATCH', '/v1/users/{userId}'),
  deleteUser: ext('DELETE', '/v1/users/{userId}'),
  importUsers: ext('POST', '/v1/users/import'),
  registerTotp: ext('POST', '/v1/users/{userId}/authenticators/totp', 201),
  getCompanySettings: ext('GET', '/v1/company/settings'),
  updateCompanySettings: ext('PUT', '/v1/company/settings'),
  createApiKey: ext('POST', '/v1/apikeys', 201),
  listApiKeys: ext('GET', '/v1/apikeys'),
  revokeApiKey: ext('DELETE', '/v1/apikeys/{accessID}'),
  createAgentKey: ext('POST', '/v1/agentkeys', 201),
  listAgentKeys: ext('GET', '/v1/agentkeys'),
  revokeAgentKey: ext('DELETE', '/v1/agentkeys/{clientKeyId}'),
  exportAdminLog: route('GET', '/v1/adminlog/exportlogs'),
  exportUserEventLog: route('GET', '/v1/usereventlog/exportlogs'),
} as const satisfies Record<OperationName, Route>
