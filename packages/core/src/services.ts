import { createAgentKeyService } from './agent-keys.js'
import { createApiKeyService } from './api-key-service.js'
import { createAuditService } from './audit-service.js'
import { createAuthenticatorService } from './authenticator-service.js'
import { createAuthnService } from './authn-service.js'
import { createCompanyService } from './company-service.js'
import type { Deps } from './context.js'
import { createEmergencyCodeService } from './emergency-code-service.js'
import { createLockoutService } from './lockout-service.js'
import { createTokenService } from './token-service.js'
import { createUserService } from './user-service.js'

/** Every domain service, wired from one set of ports. */
export const createServices = (deps: Deps) => ({
  companies: createCompanyService(deps),
  users: createUserService(deps),
  emergencyCodes: createEmergencyCodeService(deps),
  lockout: createLockoutService(deps),
  tokens: createTokenService(deps),
  apiKeys: createApiKeyService(deps),
  audit: createAuditService(deps),
  agentKeys: createAgentKeyService(deps),
  authenticators: createAuthenticatorService(deps),
  authn: createAuthnService(deps),
})

export type Services = ReturnType<typeof createServices>
