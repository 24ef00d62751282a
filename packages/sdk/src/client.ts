import { randomInt } from 'node:crypto'
import { JwtSigner, parseKeyFile, readKeyFile } from './key-file.js'
import { ROUTES } from './routes.js'
import { createTransport, type RetryOptions } from './transport.js'
import type {
  AdminLogPage,
  AgentKeyCreateRequest,
  AgentKeyFile,
  AgentKeyRevoked,
  AgentKeySummary,
  ApiKeyCreateRequest,
  ApiKeyRevoked,
  ApiKeySummary,
  ClearPinResult,
  CompanySettings,
  CompanySettingsPatch,
  CreateUserRequest,
  EmergencyTokencode,
  EmergencyTokencodeDisabled,
  EmergencyTokencodeRequest,
  EmergencyTokencodeV2,
  EmergencyTokencodeV2Request,
  KeyFile,
  LogExportQuery,
  LookupRequest,
  OperationName,
  Operations,
  PskcImportRequest,
  TokenAssignRequest,
  TokenAssignResult,
  TokenDeleted,
  TokenImportRequest,
  TokenImportResult,
  TokenSerialRequest,
  TokenStatusResult,
  TokenUnassignResult,
  TotpRegistration,
  UnlockRequest,
  UnlockResult,
  UpdateUserRequest,
  UserDeleted,
  UserDetails,
  UserDevices,
  UserEventLogPage,
  UserImportResult,
  UserSearchPage,
  UserSearchRequest,
  UserSearchV2Request,
  UserStatusRequest,
} from './types.js'

export interface ClientOptions {
  /** The key file: its path (Node), or its parsed content. */
  keyFile: string | KeyFile
  /**
   * Where requests go (default: the key file's `adminRestApiUrl`). Set it when the API is
   * reached through another address than the one the key names (a tunnel, a test server); the
   * JWT audience stays the key file's `adminRestApiUrl`.
   */
  baseUrl?: string
  /** Deadline of one attempt, response body included (default 30 000 ms). */
  timeoutMs?: number
  /** Retries of `429` (bounded, with jitter); `false` turns them off. */
  retry?: RetryOptions | false
  /** Waits before a request when the last response said `RateLimit-Remaining: 0` (default `true`). */
  pace?: boolean
  /** JWT lifetime in seconds, at most 3600 (default 300). */
  tokenLifetimeSeconds?: number
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call (including a wait before a retry); it rejects with the signal's reason. */
  signal?: AbortSignal
}

type Path = Record<string, string>

const fill = (template: string, params: Path): string =>
  template
    .slice(1)
    .replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''))

/** `adminRestApiUrl` with one trailing `/` and without a trailing `v1`/`v2` (RSA's keys vary). */
export const normalizeBaseUrl = (url: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '').replace(/\/v[12]$/, '')}/`
  parsed.search = ''
  parsed.hash = ''
  return parsed.toString()
}

const requireId = (value: string, name: string): string => {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} is required`)
  return value
}

/**
 * Creates a client of the Cloud Administration REST API. It signs its own short-lived RS256 JWTs
 * with the key file's private key, re-signing before they expire.
 *
 * @example
 * ```ts
 * import { createClient } from '@tokendesk/client'
 *
 * const client = createClient({ keyFile: './helpdesk.key' })
 * const user = await client.lookupUser({ email: 'jane@example.com' })
 * ```
 */
export const createClient = (options: ClientOptions): TokendeskClient =>
  new TokendeskClient(options)

/**
 * A client of the Cloud Administration REST API: one method per route of admin-api.md. Every
 * method rejects with a {@link TokendeskApiError} when the server answers an error status.
 */
export class TokendeskClient {
  readonly #options: ClientOptions
  #ready: Promise<ReturnType<typeof createTransport>> | undefined

  constructor(options: ClientOptions) {
    const lifetime = options.tokenLifetimeSeconds ?? 300
    if (!Number.isInteger(lifetime) || lifetime < 10 || lifetime > 3600) {
      throw new RangeError('tokenLifetimeSeconds must be a whole number from 10 to 3600')
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
      throw new RangeError('timeoutMs must be positive')
    }
    this.#options = options
    // A parsed key file is checked at once; a path is read on first use.
    if (typeof options.keyFile !== 'string')
      this.#ready = Promise.resolve(this.#build(options.keyFile))
  }

  #build(raw: KeyFile): ReturnType<typeof createTransport> {
    const keyFile = parseKeyFile(raw)
    const options = this.#options
    const lifetime = options.tokenLifetimeSeconds ?? 300
    const signer = new JwtSigner(keyFile, {
      lifetimeSeconds: lifetime,
      // Re-sign when a fifth of the lifetime (at most a minute) is left: a token never expires in
      // flight, and the server's 60 s skew allowance is not needed.
      refreshBeforeSeconds: Math.min(60, Math.floor(lifetime / 5)),
      now: () => Date.now(),
    })
    const retry = options.retry
    return createTransport({
      baseUrl: normalizeBaseUrl(options.baseUrl ?? keyFile.adminRestApiUrl),
      token: () => signer.token(),
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: options.timeoutMs ?? 30_000,
      retry:
        retry === false
          ? false
          : {
              maxRetries: retry?.maxRetries ?? 3,
              maxDelayMs: retry?.maxDelayMs ?? 60_000,
              defaultDelayMs: retry?.defaultDelayMs ?? 1_000,
              jitterMs: retry?.jitterMs ?? 250,
            },
      pace: options.pace ?? true,
      userAgent: 'tokendesk-client/0.1.0',
      random: () => randomInt(1_000_000) / 1_000_000,
    })
  }

  #transport(): Promise<ReturnType<typeof createTransport>> {
    const keyFile = this.#options.keyFile
    this.#ready ??=
      typeof keyFile === 'string'
        ? readKeyFile(keyFile).then((file) => this.#build(file))
        : Promise.resolve(this.#build(keyFile))
    return this.#ready
  }

  /** Typed by {@link Operations}: the body and the answer of each method are the checked ones. */
  async #call<K extends OperationName>(
    operation: K,
    params: Path,
    init: {
      body?: Operations[K]['request']
      query?: Record<string, string | number | boolean | undefined>
      raw?: { contentType: string; text: string }
      signal?: AbortSignal | undefined
    } = {},
  ): Promise<Operations[K]['response']> {
    const route = ROUTES[operation]
    const transport = await this.#transport()
    const response = await transport.send<Operations[K]['response']>({
      method: route.method,
      path: fill(route.path, params),
      ...init,
    })
    return response.body
  }

  // §6 Emergency tokencodes

  /**
   * Issues an emergency tokencode (Emergency Access Code), v1. `expirationDays` is 1–7 (absent:
   * the company default). The code is in this response only. Issuing one revokes the previous one.
   *
   * @example
   * ```ts
   * const eac = await client.enableEmergencyTokencode(user.id, { expirationDays: 2 })
   * console.log(eac.emergencyTokencode, eac.expirationDate)
   * ```
   */
  enableEmergencyTokencode(
    userId: string,
    body: EmergencyTokencodeRequest = {},
    options: RequestOptions = {},
  ): Promise<EmergencyTokencode> {
    return this.#call(
      'enableEmergencyTokencode',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Issues an emergency tokencode, v2: validity from 1 minute to 7 days, optionally single-use;
   * the response says which configuration was applied (company settings may be locked).
   *
   * @example
   * ```ts
   * const eac = await client.enableEmergencyTokencodeV2(user.id, {
   *   expiryUnit: 'hours',
   *   expiryValue: 4,
   *   oneTimeUse: true,
   * })
   * console.log(eac.configurationsUsed)
   * ```
   */
  enableEmergencyTokencodeV2(
    userId: string,
    body: EmergencyTokencodeV2Request = {},
    options: RequestOptions = {},
  ): Promise<EmergencyTokencodeV2> {
    return this.#call(
      'enableEmergencyTokencodeV2',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Disables every online emergency tokencode of the user (whatever `eacId` names, as RSA
   * documents). A code already carried offline keeps working offline until its offline expiry.
   *
   * @example
   * ```ts
   * const user = await client.lookupUser({ email: 'jane@example.com' })
   * if (user.emergencyTokencodeId !== null) {
   *   await client.disableEmergencyTokencode(user.id, user.emergencyTokencodeId)
   * }
   * ```
   */
  disableEmergencyTokencode(
    userId: string,
    eacId: string,
    options: RequestOptions = {},
  ): Promise<EmergencyTokencodeDisabled> {
    return this.#call(
      'disableEmergencyTokencode',
      { userId: requireId(userId, 'userId'), eacId: requireId(eacId, 'eacId') },
      { signal: options.signal },
    )
  }

  // §7 Unlock

  /**
   * Unlocks methods of a user; answers the lock state of every documented method afterwards.
   *
   * @example
   * ```ts
   * const state = await client.unlockMethods(user.id, { unlockMethods: ['TOKEN', 'SMS'] })
   * console.log(state.isTokenLocked) // false
   * ```
   */
  unlockMethods(
    userId: string,
    body: UnlockRequest,
    options: RequestOptions = {},
  ): Promise<UnlockResult> {
    return this.#call(
      'unlockMethods',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  // §8 Hardware tokens

  /**
   * Enables a hardware token assigned to the user (enabling an enabled token changes nothing).
   *
   * @example
   * ```ts
   * const token = await client.enableToken(user.id, { tokenSerialNumber: '000123456789' })
   * console.log(token.tokenStatus) // 'Enabled'
   * ```
   */
  enableToken(
    userId: string,
    body: TokenSerialRequest,
    options: RequestOptions = {},
  ): Promise<TokenStatusResult> {
    return this.#call(
      'enableToken',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Disables a hardware token assigned to the user: it no longer verifies.
   *
   * @example
   * ```ts
   * await client.disableToken(user.id, { tokenSerialNumber: '000123456789' })
   * ```
   */
  disableToken(
    userId: string,
    body: TokenSerialRequest,
    options: RequestOptions = {},
  ): Promise<TokenStatusResult> {
    return this.#call(
      'disableToken',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Assigns an imported hardware token to the user (`Activation Pending`, status unchanged).
   *
   * @example
   * ```ts
   * await client.assignToken(user.id, { tokenSerialNumber: '000123456789', tokenName: 'Jane fob' })
   * ```
   */
  assignToken(
    userId: string,
    body: TokenAssignRequest,
    options: RequestOptions = {},
  ): Promise<TokenAssignResult> {
    return this.#call(
      'assignToken',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Unassigns a hardware token from the user (back to `Unassigned` and `Disabled`).
   *
   * @example
   * ```ts
   * await client.unassignToken(user.id, { tokenSerialNumber: '000123456789' })
   * ```
   */
  unassignToken(
    userId: string,
    body: TokenSerialRequest,
    options: RequestOptions = {},
  ): Promise<TokenUnassignResult> {
    return this.#call(
      'unassignToken',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Clears the PIN of a hardware token of the user (v2).
   *
   * @example
   * ```ts
   * const result = await client.clearTokenPin(user.id, { tokenSerialNumber: '000123456789' })
   * console.log(result.pinSet) // 'false'
   * ```
   */
  clearTokenPin(
    userId: string,
    body: TokenSerialRequest,
    options: RequestOptions = {},
  ): Promise<ClearPinResult> {
    return this.#call(
      'clearTokenPin',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * Deletes a hardware token (SUPER_ADMIN keys only).
   *
   * @example
   * ```ts
   * await client.deleteToken({ tokenSerialNumber: '000123456789' })
   * ```
   */
  deleteToken(body: TokenSerialRequest, options: RequestOptions = {}): Promise<TokenDeleted> {
    return this.#call('deleteToken', {}, { body, signal: options.signal })
  }

  /**
   * [ext] Imports hardware tokens, all or nothing (SUPER_ADMIN). `dryRun` only counts them.
   *
   * @example
   * ```ts
   * const result = await client.importTokens({
   *   tokens: [{ tokenSerialNumber: '000123456789', secret: 'JBSWY3DPEHPK3PXPJBSWY3DP' }],
   * })
   * ```
   */
  importTokens(
    body: TokenImportRequest,
    options: RequestOptions & { dryRun?: boolean } = {},
  ): Promise<TokenImportResult> {
    return this.#call(
      'importTokens',
      {},
      {
        body,
        query: { dryRun: options.dryRun === undefined ? undefined : String(options.dryRun) },
        signal: options.signal,
      },
    )
  }

  /**
   * [ext] Imports hardware tokens from a PSKC (RFC 6030) document, all or nothing (SUPER_ADMIN).
   *
   * @example
   * ```ts
   * import { readFile } from 'node:fs/promises'
   *
   * const pskc = await readFile('./tokens.pskc.xml', 'utf8')
   * const result = await client.importTokensPskc({ pskc }, { dryRun: true })
   * ```
   */
  importTokensPskc(
    body: PskcImportRequest,
    options: RequestOptions & { dryRun?: boolean } = {},
  ): Promise<TokenImportResult> {
    return this.#call(
      'importTokensPskc',
      {},
      {
        body,
        query: { dryRun: options.dryRun === undefined ? undefined : String(options.dryRun) },
        signal: options.signal,
      },
    )
  }

  /**
   * Lists a user's devices (v2), hardware tokens included.
   *
   * @example
   * ```ts
   * const { sidTokens } = await client.listDevices(user.id)
   * for (const token of sidTokens) console.log(token.tokenSerialNumber, token.tokenStatus)
   * ```
   */
  listDevices(userId: string, options: RequestOptions = {}): Promise<UserDevices> {
    return this.#call(
      'listDevices',
      { userId: requireId(userId, 'userId') },
      {
        signal: options.signal,
      },
    )
  }

  // §9 Users

  /**
   * User Details: looks a user up by email (case-insensitive). This is how every help-desk flow
   * finds the `id` the other calls take.
   *
   * @example
   * ```ts
   * const user = await client.lookupUser({ email: 'jane@example.com' })
   * console.log(user.id, user.isTokenLocked)
   * ```
   */
  lookupUser(body: LookupRequest, options: RequestOptions = {}): Promise<UserDetails> {
    return this.#call('lookupUser', {}, { body, signal: options.signal })
  }

  /**
   * Searches users by a substring of their email (v1), sorted by email; `pageSize` 1–25.
   *
   * @example
   * ```ts
   * const users = await client.searchUsers({ emailLike: 'jane' }, { pageSize: 10 })
   * ```
   */
  searchUsers(
    body: UserSearchRequest,
    options: RequestOptions & { pageSize?: number } = {},
  ): Promise<UserDetails[]> {
    return this.#call(
      'searchUsers',
      {},
      {
        body,
        query: { pageSize: options.pageSize },
        signal: options.signal,
      },
    )
  }

  /**
   * Searches users by a substring of their email (v2), one zero-based page at a time.
   *
   * @example
   * ```ts
   * const page = await client.searchUsersV2({ emailLike: '@example.com', pageNumber: 1 })
   * console.log(page.totalElements, page.elements.map((user) => user.emailAddress))
   * ```
   */
  searchUsersV2(body: UserSearchV2Request, options: RequestOptions = {}): Promise<UserSearchPage> {
    return this.#call('searchUsersV2', {}, { body, signal: options.signal })
  }

  /**
   * Enables or disables a user; answers the User Details after the change.
   *
   * @example
   * ```ts
   * await client.setUserStatus(user.id, { userStatus: 'Disabled' })
   * ```
   */
  setUserStatus(
    userId: string,
    body: UserStatusRequest,
    options: RequestOptions = {},
  ): Promise<UserDetails> {
    return this.#call(
      'setUserStatus',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * [ext] Creates a user (SUPER_ADMIN); `409` when the email exists in the company.
   *
   * @example
   * ```ts
   * const user = await client.createUser({ emailAddress: 'jane@example.com', firstName: 'Jane' })
   * ```
   */
  createUser(body: CreateUserRequest, options: RequestOptions = {}): Promise<UserDetails> {
    return this.#call('createUser', {}, { body, signal: options.signal })
  }

  /**
   * [ext] Changes a user's names or phone numbers (SUPER_ADMIN); `null` clears a field.
   *
   * @example
   * ```ts
   * await client.updateUser(user.id, { smsNumber: '+15551234567' })
   * ```
   */
  updateUser(
    userId: string,
    body: UpdateUserRequest,
    options: RequestOptions = {},
  ): Promise<UserDetails> {
    return this.#call(
      'updateUser',
      { userId: requireId(userId, 'userId') },
      {
        body,
        signal: options.signal,
      },
    )
  }

  /**
   * [ext] Deletes a user (SUPER_ADMIN).
   *
   * @example
   * ```ts
   * await client.deleteUser(user.id)
   * ```
   */
  deleteUser(userId: string, options: RequestOptions = {}): Promise<UserDeleted> {
    return this.#call(
      'deleteUser',
      { userId: requireId(userId, 'userId') },
      {
        signal: options.signal,
      },
    )
  }

  /**
   * [ext] Imports users from CSV or NDJSON, all or nothing (SUPER_ADMIN).
   *
   * @example
   * ```ts
   * await client.importUsers('emailAddress,firstName\njane@example.com,Jane\n', { format: 'csv' })
   * ```
   */
  importUsers(
    text: string,
    options: RequestOptions & { format: 'csv' | 'ndjson'; dryRun?: boolean },
  ): Promise<UserImportResult> {
    return this.#call(
      'importUsers',
      {},
      {
        query: { dryRun: options.dryRun === undefined ? undefined : String(options.dryRun) },
        raw: {
          contentType: options.format === 'csv' ? 'text/csv' : 'application/x-ndjson',
          text,
        },
        signal: options.signal,
      },
    )
  }

  /**
   * [ext] Registers (or replaces) the user's Authenticate OTP secret; shown once.
   *
   * @example
   * ```ts
   * const { otpauthUri } = await client.registerTotp(user.id)
   * ```
   */
  registerTotp(userId: string, options: RequestOptions = {}): Promise<TotpRegistration> {
    return this.#call(
      'registerTotp',
      { userId: requireId(userId, 'userId') },
      {
        body: {},
        signal: options.signal,
      },
    )
  }

  // §10 Company settings, keys, logs

  /**
   * [ext] Reads the company settings (SUPER_ADMIN).
   *
   * @example
   * ```ts
   * const settings = await client.getCompanySettings()
   * console.log(settings.lockout.maxFailedAttempts)
   * ```
   */
  getCompanySettings(options: RequestOptions = {}): Promise<CompanySettings> {
    return this.#call('getCompanySettings', {}, { signal: options.signal })
  }

  /**
   * [ext] Changes company settings (a merge; SUPER_ADMIN); answers all of them.
   *
   * @example
   * ```ts
   * await client.updateCompanySettings({ lockout: { maxFailedAttempts: 5 } })
   * ```
   */
  updateCompanySettings(
    body: CompanySettingsPatch,
    options: RequestOptions = {},
  ): Promise<CompanySettings> {
    return this.#call('updateCompanySettings', {}, { body, signal: options.signal })
  }

  /**
   * [ext] Creates an Administration API key (SUPER_ADMIN); answers its key file, once.
   *
   * @example
   * ```ts
   * const keyFile = await client.createApiKey({ role: 'HELP_DESK_ADMIN', description: 'kiosk' })
   * ```
   */
  createApiKey(body: ApiKeyCreateRequest, options: RequestOptions = {}): Promise<KeyFile> {
    return this.#call('createApiKey', {}, { body, signal: options.signal })
  }

  /**
   * [ext] Lists the company's API keys, revoked ones included (SUPER_ADMIN); never key material.
   *
   * @example
   * ```ts
   * const active = (await client.listApiKeys()).filter((key) => key.revokedAt === null)
   * ```
   */
  listApiKeys(options: RequestOptions = {}): Promise<ApiKeySummary[]> {
    return this.#call('listApiKeys', {}, { signal: options.signal })
  }

  /**
   * [ext] Revokes an API key (SUPER_ADMIN); it is refused from the next request on.
   *
   * @example
   * ```ts
   * await client.revokeApiKey('139f6495-e447-4a26-a765-5c01b6b152d5')
   * ```
   */
  revokeApiKey(accessID: string, options: RequestOptions = {}): Promise<ApiKeyRevoked> {
    return this.#call(
      'revokeApiKey',
      { accessID: requireId(accessID, 'accessID') },
      {
        signal: options.signal,
      },
    )
  }

  /**
   * [ext] Creates an agent key for the Authentication API (SUPER_ADMIN); answers its file, once.
   *
   * @example
   * ```ts
   * const agent = await client.createAgentKey({ description: 'VPN gateway' })
   * ```
   */
  createAgentKey(
    body: AgentKeyCreateRequest = {},
    options: RequestOptions = {},
  ): Promise<AgentKeyFile> {
    return this.#call('createAgentKey', {}, { body, signal: options.signal })
  }

  /**
   * [ext] Lists the company's agent keys (SUPER_ADMIN).
   *
   * @example
   * ```ts
   * const agents = await client.listAgentKeys()
   * ```
   */
  listAgentKeys(options: RequestOptions = {}): Promise<AgentKeySummary[]> {
    return this.#call('listAgentKeys', {}, { signal: options.signal })
  }

  /**
   * [ext] Revokes an agent key (SUPER_ADMIN).
   *
   * @example
   * ```ts
   * await client.revokeAgentKey(agent.clientKeyId)
   * ```
   */
  revokeAgentKey(clientKeyId: string, options: RequestOptions = {}): Promise<AgentKeyRevoked> {
    return this.#call(
      'revokeAgentKey',
      { clientKeyId: requireId(clientKeyId, 'clientKeyId') },
      {
        signal: options.signal,
      },
    )
  }

  /**
   * Exports a page of the admin log (the audit trail), oldest first.
   *
   * @example
   * ```ts
   * const page = await client.exportAdminLog({ startTimeAfter: '2026-11-01T00:00:00.000Z', pageSize: 100 })
   * for (const entry of page.elements) console.log(entry.eventLogDate)
   * ```
   */
  exportAdminLog(query: LogExportQuery = {}, options: RequestOptions = {}): Promise<AdminLogPage> {
    return this.#call('exportAdminLog', {}, { query: { ...query }, signal: options.signal })
  }

  /**
   * Exports a page of the user event log, oldest first.
   *
   * @example
   * ```ts
   * const page = await client.exportUserEventLog({ pageNumber: 0 })
   * console.log(page.totalElements)
   * ```
   */
  exportUserEventLog(
    query: LogExportQuery = {},
    options: RequestOptions = {},
  ): Promise<UserEventLogPage> {
    return this.#call('exportUserEventLog', {}, { query: { ...query }, signal: options.signal })
  }
}
