import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError, userNotFound } from './errors.js'
import { isUuid } from './ids.js'
import type { Repositories, User, UserProfilePatch, UserStatus } from './store.js'
import { loadUserDetails, type UserDetails, userDetailsOf } from './user-details.js'
import { EMAIL_PATTERN, type ImportRowError, type ParsedImport } from './user-import.js'

export interface NewUserInput {
  emailAddress: string
  firstName?: string | null
  lastName?: string | null
  userStatus?: UserStatus
  smsNumber?: string | null
  voiceNumber?: string | null
}

const EMAIL = EMAIL_PATTERN

export const MAX_SEARCH_PAGE_SIZE = 25

export interface UserSearchQuery {
  emailLike: string
  /** 1–25 (default 25). */
  pageSize?: number
  /** Zero-based page (offset paging, RSA's v2). Not with `pageToken`. */
  pageNumber?: number
  /** [ext] The `nextPageToken` of the previous page (keyset paging). Not with `pageNumber`. */
  pageToken?: string
}

export interface UserSearchPage {
  elements: UserDetails[]
  totalElements: number
  totalPages: number
  pageSize: number
  currentPage: number
  nextPageToken: string | null
}

export interface DeletedUser {
  userId: string
  emailAddress: string
  deletedAt: number
  revokedEmergencyTokencodes: number
  unassignedTokenSerialNumbers: string[]
}

export type UserImportResult =
  | { dryRun: false; imported: number }
  | { dryRun: true; wouldImport: number }

/** Rows per multi-row insert statement of an import, and per progress report. */
const IMPORT_CHUNK = 2_000

const invalid = (message: string) => new DomainError('VALIDATION_FAILED', { message })

/** Bad rows named in the description; all of them are in `details.errors` regardless. */
const DESCRIBED_ROWS = 100

const importFailure = (errors: readonly ImportRowError[]): string => {
  const rows = errors.length === 1 ? 'row' : 'rows'
  const named = errors
    .slice(0, DESCRIBED_ROWS)
    .map((error) => `Line ${error.line}: ${error.description}.`)
  if (errors.length > DESCRIBED_ROWS) {
    named.push(`… and ${errors.length - DESCRIBED_ROWS} more (see errors).`)
  }
  return `Nothing was imported: ${errors.length} invalid ${rows}. ${named.join(' ')}`
}

/** The keyset cursor of a search page: the page's last lower-cased email, opaque to clients. */
const encodePageToken = (key: string): string => Buffer.from(`e:${key}`).toString('base64url')
const decodePageToken = (token: string): string => {
  const decoded = /^[A-Za-z0-9_-]+$/.test(token)
    ? Buffer.from(token, 'base64url').toString('utf8')
    : ''
  if (!decoded.startsWith('e:') || decoded.length < 3) throw invalid('Invalid pageToken.')
  return decoded.slice(2)
}

/**
 * Finds a user of the caller's company, or throws `USER_NOT_FOUND` naming the id as given.
 * A malformed id names no user (admin-api.md §1).
 */
export const requireUser = async (
  repos: Repositories,
  companyId: string,
  userId: string,
  options?: { forUpdate?: boolean },
): Promise<User> => {
  const user = isUuid(userId) ? await repos.users.findById(companyId, userId, options) : undefined
  if (!user) throw userNotFound(userId)
  return user
}

export const createUserService = (deps: Pick<Deps, 'store' | 'clock' | 'random'>) => {
  const { store, clock, random } = deps

  return {
    /** User Details by email, case-insensitively (`POST /v1/users/lookup`). */
    async lookup(ctx: OperationContext, email: string): Promise<UserDetails> {
      const stored = await store.read.users.findDetailsByEmail(ctx.companyId, email)
      if (!stored) throw new DomainError('USER_NOT_FOUND', { message: `User ${email} not found` })
      return userDetailsOf(store.read, stored, clock.now())
    },

    async details(ctx: OperationContext, userId: string): Promise<UserDetails> {
      const user = await requireUser(store.read, ctx.companyId, userId)
      return loadUserDetails(store.read, user, clock.now())
    },

    async create(ctx: OperationContext, input: NewUserInput): Promise<UserDetails> {
      const emailAddress = input.emailAddress.trim()
      if (!EMAIL.test(emailAddress) || emailAddress.length > 254) {
        throw new DomainError('VALIDATION_FAILED', { message: 'Invalid email address.' })
      }
      const now = clock.now()
      const user: User = {
        id: random.uuid(),
        companyId: ctx.companyId,
        emailAddress,
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        userStatus: input.userStatus ?? 'Enabled',
        smsNumber: input.smsNumber ?? null,
        voiceNumber: input.voiceNumber ?? null,
        createdAt: now,
        updatedAt: now,
      }
      await store.transaction(async (tx) => {
        await tx.users.insert(user)
        await audit(tx, ctx, now, { action: 'user.created', targetType: 'user', targetId: user.id })
      })
      return loadUserDetails(store.read, user, now)
    },

    /**
     * `POST /v1/users/search` and `/v2/users/search`: a substring of the email, sorted by email.
     *
     * Paging and concurrent inserts: the order is by lower-cased email, which is unique per
     * company, so it is total and the same on every request. RSA's `pageNumber` pages by offset:
     * exact while nothing changes, but a user inserted (or deleted) before the current page
     * between two fetches shifts the later pages by one. The `nextPageToken` [ext] pages by
     * keyset instead (`email > last email of the previous page`): a page then starts exactly
     * after what the client has seen, so every user that matched on the first fetch comes
     * exactly once, in order, whatever is inserted meanwhile (new users after the cursor appear
     * in their place, those before it are not seen).
     */
    async search(ctx: OperationContext, query: UserSearchQuery): Promise<UserSearchPage> {
      const pageSize = query.pageSize ?? MAX_SEARCH_PAGE_SIZE
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_SEARCH_PAGE_SIZE) {
        throw invalid(`pageSize must be a whole number from 1 to ${MAX_SEARCH_PAGE_SIZE}.`)
      }
      const { pageNumber, pageToken } = query
      if (pageNumber !== undefined && (!Number.isSafeInteger(pageNumber) || pageNumber < 0)) {
        throw invalid('pageNumber must be a whole number from 0.')
      }
      if (pageNumber !== undefined && pageToken !== undefined) {
        throw invalid('Send pageNumber or pageToken, not both.')
      }
      const after = pageToken === undefined ? undefined : decodePageToken(pageToken)
      const users = store.read.users
      const emailLike = query.emailLike
      const [found, totalElements, before] = await Promise.all([
        users.searchByEmail(ctx.companyId, {
          emailLike,
          limit: pageSize + 1,
          ...(after === undefined ? { offset: (pageNumber ?? 0) * pageSize } : { after }),
        }),
        users.countByEmail(ctx.companyId, emailLike),
        after === undefined
          ? Promise.resolve((pageNumber ?? 0) * pageSize)
          : users.countByEmail(ctx.companyId, emailLike, { through: after }),
      ])
      const page = found.slice(0, pageSize)
      const last = page.at(-1)
      const now = clock.now()
      return {
        elements: await Promise.all(page.map((user) => loadUserDetails(store.read, user, now))),
        totalElements,
        totalPages: Math.ceil(totalElements / pageSize),
        pageSize,
        currentPage: Math.floor(before / pageSize),
        nextPageToken:
          found.length > pageSize && last ? encodePageToken(last.emailAddress.toLowerCase()) : null,
      }
    },

    /** [ext] `PATCH /v1/users/{id}`: names and phone numbers; `null` clears one. */
    async update(
      ctx: OperationContext,
      userId: string,
      patch: UserProfilePatch,
    ): Promise<UserDetails> {
      const fields = Object.keys(patch).filter(
        (key) => patch[key as keyof UserProfilePatch] !== undefined,
      )
      if (fields.length === 0) {
        throw invalid('Send at least one of firstName, lastName, smsNumber, voiceNumber.')
      }
      const now = clock.now()
      const user = await store.transaction(async (tx) => {
        const current = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        await tx.users.updateProfile(ctx.companyId, current.id, patch, now)
        await audit(tx, ctx, now, {
          action: 'user.updated',
          targetType: 'user',
          targetId: current.id,
          details: { fields },
        })
        return { ...current, ...patch, updatedAt: now }
      })
      return loadUserDetails(store.read, user, now)
    },

    /**
     * [ext] `DELETE /v1/users/{id}`: revokes the user's emergency codes, unassigns their tokens
     * (each back to `Unassigned`/`Disabled`), then deletes the user. The row stays for the audit
     * trail's sake, but no lookup finds it again and its email address is free for a new user.
     */
    async remove(ctx: OperationContext, userId: string): Promise<DeletedUser> {
      const now = clock.now()
      return store.transaction(async (tx) => {
        const user = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        const revoked = await tx.emergencyCodes.revokeActive(ctx.companyId, user.id, now)
        const serials = await tx.tokens.unassignAll(ctx.companyId, user.id, {
          at: now,
          by: ctx.actor.id,
        })
        for (const serial of serials) {
          await audit(tx, ctx, now, {
            action: 'token.unassigned',
            targetType: 'token',
            targetId: serial,
            details: { userId: user.id },
          })
        }
        await tx.users.markDeleted(ctx.companyId, user.id, now)
        await audit(tx, ctx, now, {
          action: 'user.deleted',
          targetType: 'user',
          targetId: user.id,
          details: { revokedEmergencyTokencodes: revoked, unassignedTokenSerialNumbers: serials },
        })
        return {
          userId: user.id,
          emailAddress: user.emailAddress,
          deletedAt: now,
          revokedEmergencyTokencodes: revoked,
          unassignedTokenSerialNumbers: serials,
        }
      })
    },

    /**
     * [ext] Bulk import (`POST /v1/users/import`, `tokendesk users import`): all or nothing, in
     * one transaction. Every bad row is reported with its line: rows the parser refused, an
     * address that appears again later in the file (the later lines), and addresses that
     * already belong to users of the company. With any bad row nothing is imported
     * (`IMPORT_ROWS_INVALID`, the rows in `details.errors`). The existing-address check runs
     * inside the transaction, so no concurrent create slips in between (SQLite: the write lock
     * is held from the start; PostgreSQL: a concurrent create of the same address makes the
     * insert fail with `USER_EXISTS`, and still nothing is imported).
     */
    async importUsers(
      ctx: OperationContext,
      parsed: ParsedImport,
      options: { dryRun: boolean; onProgress?: (done: number, total: number) => void },
    ): Promise<UserImportResult> {
      const errors: ImportRowError[] = [...parsed.errors]
      const firstLine = new Map<string, number>()
      const candidates = parsed.rows.filter(({ line, user }) => {
        const key = user.emailAddress.toLowerCase()
        const seen = firstLine.get(key)
        if (seen !== undefined) {
          errors.push({
            line,
            description: `emailAddress ${user.emailAddress} already appears on line ${seen}`,
          })
          return false
        }
        firstLine.set(key, line)
        return true
      })
      const now = clock.now()
      return store.transaction(async (tx) => {
        const existing = new Set(
          await tx.users.existingEmails(
            ctx.companyId,
            candidates.map(({ user }) => user.emailAddress),
          ),
        )
        for (const { line, user } of candidates) {
          if (existing.has(user.emailAddress.toLowerCase())) {
            errors.push({ line, description: `User ${user.emailAddress} already exists` })
          }
        }
        if (errors.length > 0) {
          errors.sort((a, b) => a.line - b.line)
          throw new DomainError('IMPORT_ROWS_INVALID', {
            message: importFailure(errors),
            details: { errors },
          })
        }
        if (options.dryRun) return { dryRun: true, wouldImport: candidates.length }
        const users: User[] = candidates.map(({ user }) => ({
          id: random.uuid(),
          companyId: ctx.companyId,
          ...user,
          createdAt: now,
          updatedAt: now,
        }))
        for (let done = 0; done < users.length; done += IMPORT_CHUNK) {
          await tx.users.insertMany(users.slice(done, done + IMPORT_CHUNK))
          options.onProgress?.(Math.min(done + IMPORT_CHUNK, users.length), users.length)
        }
        await audit(tx, ctx, now, {
          action: 'user.imported',
          targetType: null,
          targetId: null,
          details: { count: users.length },
        })
        return { dryRun: false, imported: users.length }
      })
    },

    /** `PUT /v1/users/{id}/userStatus`: answers the User Details after the change. */
    async setStatus(
      ctx: OperationContext,
      userId: string,
      status: UserStatus,
    ): Promise<UserDetails> {
      const now = clock.now()
      const user = await store.transaction(async (tx) => {
        const current = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        if (current.userStatus === status) return current
        await tx.users.updateStatus(ctx.companyId, current.id, status, now)
        await audit(tx, ctx, now, {
          action: 'user.status_changed',
          targetType: 'user',
          targetId: current.id,
          details: { from: current.userStatus, to: status },
        })
        return { ...current, userStatus: status, updatedAt: now }
      })
      return loadUserDetails(store.read, user, now)
    },
  }
}

export type UserService = ReturnType<typeof createUserService>
