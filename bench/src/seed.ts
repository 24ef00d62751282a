import { randomBytes } from 'node:crypto'
import {
  type ApiKeyFile,
  encodeBase32,
  type OperationContext,
  type TokenImportItem,
  type User,
} from '@tokendesk/core'
import { createRuntime, loadConfig } from '@tokendesk/server'
import { progress } from './report.js'

/** What the load generator needs to address the seeded data. */
export interface Seeded {
  keyFile: ApiKeyFile
  /**
   * Agent keys (client-key): one per connection of the load, as many agents would be; each key
   * has its own bucket of 200 requests/s (admin-api.md §5).
   */
  clientKeys: string[]
  /** Every user's email; index i is user i. */
  emails: string[]
  userIds: string[]
  /** Users [0, totpUsers) have a TOTP authenticator; their base32 secrets. */
  totpSecrets: string[]
  /** Users [eacFrom, eacFrom + eacCodes.length) have an emergency code (not one-time). */
  eacFrom: number
  eacCodes: string[]
  /** Token i is assigned to user tokenFrom + i. */
  tokenFrom: number
  tokenSerials: string[]
}

export interface SeedPlan {
  users: number
  tokens: number
  totpUsers: number
  eacUsers: number
  agentKeys: number
}

const CHUNK = 10_000

const pad = (n: number): string => String(n).padStart(7, '0')

/**
 * Seeds the database the server env names, through the same runtime and services the server
 * uses (bootstrap, settings, token import and assignment, TOTP registration, emergency codes).
 * Users are written in bulk by the repository in chunked transactions: one audit event per
 * user would make a million-user seed take an hour and measure nothing the benchmark is about.
 * Users are laid out in ranges: TOTP users first, then emergency-code users, then token holders,
 * the rest for the write scenarios.
 */
export const seed = async (env: NodeJS.ProcessEnv, plan: SeedPlan): Promise<Seeded> => {
  const runtime = await createRuntime(loadConfig({ env }))
  try {
    const { services, store } = runtime
    // As `tokendesk company create` and `apikey create` do (PostgreSQL has no first-start
    // bootstrap): a company and a SUPER_ADMIN key.
    const company = await services.companies.create('Bench')
    const ctx: OperationContext = {
      companyId: company.id,
      actor: { type: 'cli', id: null, role: null },
      requestId: null,
      sourceIp: null,
    }
    const { file: keyFile } = await services.apiKeys.create(ctx, {
      role: 'SUPER_ADMIN',
      description: 'benchmark',
    })
    // The benchmark key must never be rate limited (the issue counts 429s as errors), and the
    // failure path must not lock users within a run.
    await services.companies.updateSettings(ctx, {
      rateLimit: { requestsPerSecond: 100_000, burst: 200_000 },
      lockout: { maxFailedAttempts: 20 },
    })

    const emails: string[] = []
    const userIds: string[] = []
    const now = Date.now()
    for (let from = 0; from < plan.users; from += CHUNK) {
      const chunk: User[] = []
      for (let i = from; i < Math.min(plan.users, from + CHUNK); i++) {
        const user: User = {
          id: runtime.random.uuid(),
          companyId: ctx.companyId,
          emailAddress: `user${pad(i)}@bench.example.com`,
          firstName: 'Bench',
          lastName: `User ${i}`,
          userStatus: 'Enabled',
          smsNumber: null,
          voiceNumber: null,
          createdAt: now,
          updatedAt: now,
        }
        chunk.push(user)
        emails.push(user.emailAddress)
        userIds.push(user.id)
      }
      await store.transaction((tx) => tx.users.insertMany(chunk))
      progress('users', Math.min(plan.users, from + CHUNK), plan.users)
    }

    const totpSecrets: string[] = []
    for (let i = 0; i < plan.totpUsers; i++) {
      const userId = userIds[i] as string
      totpSecrets.push((await services.authenticators.registerTotp(ctx, userId)).secret)
      if ((i + 1) % 1000 === 0 || i + 1 === plan.totpUsers) {
        progress('TOTP authenticators', i + 1, plan.totpUsers)
      }
    }

    const eacFrom = plan.totpUsers
    const eacCodes: string[] = []
    for (let i = 0; i < plan.eacUsers; i++) {
      const issued = await services.emergencyCodes.enableV1(ctx, userIds[eacFrom + i] as string, 3)
      eacCodes.push(issued.code)
      if ((i + 1) % 1000 === 0 || i + 1 === plan.eacUsers) {
        progress('emergency codes', i + 1, plan.eacUsers)
      }
    }

    const tokenFrom = eacFrom + plan.eacUsers
    const tokenSerials: string[] = []
    const items: TokenImportItem[] = []
    for (let i = 0; i < plan.tokens; i++) {
      const serial = `9${pad(i)}`
      tokenSerials.push(serial)
      items.push({ tokenSerialNumber: serial, secret: encodeBase32(randomBytes(20)) })
    }
    for (let from = 0; from < items.length; from += CHUNK) {
      await services.tokens.importTokens(ctx, items.slice(from, from + CHUNK), { dryRun: false })
    }
    for (let i = 0; i < plan.tokens; i++) {
      await services.tokens.assign(ctx, userIds[tokenFrom + i] as string, tokenSerials[i] as string)
      if ((i + 1) % 1000 === 0 || i + 1 === plan.tokens) progress('tokens', i + 1, plan.tokens)
    }
    if (tokenFrom + plan.tokens > plan.users) throw new Error('bench: too few users for the plan')

    const clientKeys: string[] = []
    for (let i = 0; i < plan.agentKeys; i++) {
      const { file } = await services.agentKeys.create(ctx, { description: `benchmark agent ${i}` })
      clientKeys.push(file.clientKey)
    }
    return {
      keyFile,
      clientKeys,
      emails,
      userIds,
      totpSecrets,
      eacFrom,
      eacCodes,
      tokenFrom,
      tokenSerials,
    }
  } finally {
    await runtime.close()
  }
}
