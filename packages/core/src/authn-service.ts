import { type AuditAction, SYSTEM_ACTOR } from './audit.js'
import {
  type AttemptState,
  type AttemptStatusView,
  type AuthnAttempt,
  type AuthnMethod,
  type AuthnOutcome,
  type ChallengeMethodId,
  type CredentialInput,
  clampTimeout,
  type InitializeInput,
  isAuthnMethod,
  MAX_CREDENTIAL_LENGTH,
  type MethodResult,
  OOB_CODE_LENGTH,
  OOB_CODE_VALIDITY_MS,
  type OutOfBandSender,
  PIN_PATTERN,
  SECURID_RESYNC_WINDOW,
  type StoredTotpAuthenticator,
  TOTP_DIGITS,
  TOTP_PERIOD_S,
  totpSeedAad,
  type VerifyInput,
} from './authn.js'
import { audit, type Deps, type OperationContext } from './context.js'
import { emergencyCodeHash } from './emergency-code-service.js'
import { generateCode } from './emergency-codes.js'
import { canonicalId, isUuid } from './ids.js'
import type { MethodLockState } from './methods.js'
import { codesEqual, findTotpStep, hotp, totpStep } from './otp.js'
import type { LockoutSettings } from './settings.js'
import type { Repositories, User } from './store.js'
import { type HardwareToken, seedAad } from './tokens.js'
import { effectiveLocks } from './user-details.js'

const MAX_SUBJECT_LENGTH = 320
/** Thresholds of `countFailure` besides the company's: a count no failure reaches (counted, never
 * locks), and one every failure reaches (locks now). */
const COUNT_ONLY = 2 ** 31 - 1
const LOCK_NOW = 1
const MAX_ID_LENGTH = 256

/** Priority order of the challenge sets (1 = first). */
const METHOD_ORDER: readonly AuthnMethod[] = [
  'SECURID',
  'TOKEN',
  'SMS',
  'VOICE',
  'EMERGENCY_TOKENCODE',
]

/** The caller of the Authentication API: an agent key of a company, from an address. */
export interface AgentContext extends OperationContext {
  clientId: string | null
}

/** What one credential did to the attempt. */
interface Step {
  code: AuthnOutcome['attemptResponseCode']
  reason: string
  result: MethodResult
  challenges: ChallengeMethodId[]
  state: AttemptState
  succeeded?: AuthnMethod
}

/**
 * What this request has read already, so that a single-step initialize does not read it
 * twice: the lockout settings, the user's lock states, the TOTP registration (null: none).
 */
interface Known {
  lockout: LockoutSettings
  locks?: readonly MethodLockState[]
  totp?: StoredTotpAuthenticator | null
}

export interface AuthnServiceDeps extends Pick<Deps, 'store' | 'clock' | 'random' | 'secrets'> {
  sender?: OutOfBandSender | undefined
}

/**
 * Authentication attempts (authn-api.md). Every state change that decides an outcome is a single
 * conditional statement in the database (context chain claim, step use, one-time code use,
 * failure count), so that parallel calls on any number of nodes cannot both win.
 */
export const createAuthnService = (deps: AuthnServiceDeps) => {
  const { store, clock, random, secrets } = deps

  const newId = () => random.uuid()

  const lockoutSettings = async (companyId: string): Promise<LockoutSettings> =>
    (await store.read.companies.findById(companyId))?.settings.lockout ?? {
      maxFailedAttempts: 3,
      autoUnlockAfterMinutes: null,
    }

  /**
   * Lifts a lock whose `autoUnlockAfterMinutes` are over (one conditional delete) with its audit
   * event, a user event by the system, in `tx` or in a transaction of its own.
   */
  const autoUnlock = (
    ctx: AgentContext,
    user: User,
    method: AuthnMethod,
    lockedBefore: number,
    tx?: Repositories,
  ): Promise<void> => {
    const run = async (repositories: Repositories) => {
      const cleared = await repositories.locks.clearLockedBefore(
        user.companyId,
        user.id,
        method,
        lockedBefore,
      )
      if (cleared === 0) return // lifted meanwhile, by a parallel call or an administrator
      await audit(repositories, { ...ctx, actor: SYSTEM_ACTOR }, clock.now(), {
        action: 'methods.auto_unlocked',
        targetType: 'user',
        targetId: user.id,
        reason: 'LOCKOUT_EXPIRED',
        details: { method, agentKeyId: ctx.actor.id, clientId: ctx.clientId },
      })
    }
    return tx ? run(tx) : store.transaction(run)
  }

  /**
   * Locked now? An auto-unlock that is due lifts the lock first. `locks`: the user's lock states
   * when the caller has just read them. `tx`: a transaction's repositories, to decide inside it.
   */
  const lockedNow = async (
    ctx: AgentContext,
    user: User,
    method: AuthnMethod,
    lockout: LockoutSettings,
    locks?: readonly MethodLockState[],
    tx?: Repositories,
  ): Promise<boolean> => {
    locks ??= await (tx ?? store.read).locks.list(user.companyId, user.id)
    const lock = locks.find((l) => l.method === method && l.lockedAt !== null)
    if (!lock || lock.lockedAt === null) return false
    const after = lockout.autoUnlockAfterMinutes
    if (after !== null && lock.lockedAt + after * 60_000 <= clock.now()) {
      await autoUnlock(ctx, user, method, clock.now() - after * 60_000, tx)
      return false
    }
    return true
  }

  /** Methods the user is enrolled in right now (locks aside), and the TOTP registration. */
  const enrolledMethods = async (user: User) => {
    const now = clock.now()
    const [tokens, totp, latest] = await Promise.all([
      store.read.tokens.listAssigned(user.companyId, user.id),
      store.read.totpAuthenticators.find(user.companyId, user.id),
      store.read.emergencyCodes.findLatest(user.companyId, user.id),
    ])
    const methods: AuthnMethod[] = []
    if (tokens.some((t) => t.status === 'Enabled')) methods.push('SECURID')
    if (totp) methods.push('TOKEN')
    if (user.smsNumber) methods.push('SMS')
    if (user.voiceNumber) methods.push('VOICE')
    if (latest && latest.revokedAt === null && latest.expiresAt > now) {
      methods.push('EMERGENCY_TOKENCODE')
    }
    return { methods, totp }
  }

  const usableMethods = async (ctx: AgentContext, user: User, lockout: LockoutSettings) => {
    const [enrolled, locks] = await Promise.all([
      enrolledMethods(user),
      store.read.locks.list(user.companyId, user.id),
    ])
    const usable: AuthnMethod[] = []
    const locked: AuthnMethod[] = []
    for (const method of enrolled.methods) {
      if (await lockedNow(ctx, user, method, lockout, locks)) locked.push(method)
      else usable.push(method)
    }
    usable.sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b))
    return { usable, locked, locks, totp: enrolled.totp }
  }

  const findUser = async (companyId: string, subjectName: string): Promise<User | undefined> => {
    const id = canonicalId(subjectName)
    if (isUuid(id)) {
      const byId = await store.read.users.findById(companyId, id)
      if (byId) return byId
    }
    return store.read.users.findByEmail(companyId, subjectName)
  }

  const auditVerification = (
    tx: Repositories,
    ctx: AgentContext,
    action: AuditAction,
    userId: string | null,
    details: { method: string | null; attemptId: string; reason: string; locked?: boolean },
  ) =>
    audit(tx, ctx, clock.now(), {
      action,
      targetType: 'user',
      targetId: userId,
      result: action === 'authn.failed' ? 'failure' : 'success',
      reason: details.reason,
      details: {
        method: details.method,
        attemptId: details.attemptId,
        agentKeyId: ctx.actor.id,
        clientId: ctx.clientId,
        ...(details.locked !== undefined && { locked: details.locked }),
      },
    })

  const methodResult = (
    methodId: string,
    methodResponseCode: MethodResult['methodResponseCode'],
    methodReasonCode: string | null,
  ): MethodResult => ({ methodId, methodResponseCode, methodReasonCode })

  type VerificationDetails = Parameters<typeof auditVerification>[4]
  /** Uses a single-use value in one conditional statement; false: it was used already. */
  type Claim = (tx: Repositories) => Promise<boolean>

  /**
   * The audit event of one verification step, in a transaction of its own, after `claim` when
   * the step used a single-use value: false, and nothing written, when the claim fails.
   */
  const record = (
    ctx: AgentContext,
    action: AuditAction,
    userId: string | null,
    details: VerificationDetails,
    claim?: Claim,
  ): Promise<boolean> =>
    store.transaction(async (tx) => {
      if (claim && !(await claim(tx))) return false
      await auditVerification(tx, ctx, action, userId, details)
      return true
    })

  /** A terminal FAIL for `reason` that counts toward no lockout, audited. */
  const failStep = async (
    ctx: AgentContext,
    userId: string | null,
    attemptId: string,
    methodId: string,
    reason: string,
  ): Promise<Step> => {
    await record(ctx, 'authn.failed', userId, { method: methodId.slice(0, 64), attemptId, reason })
    return terminal('FAIL', reason, methodResult(methodId, 'FAIL', reason))
  }

  const terminal = (
    code: 'SUCCESS' | 'FAIL',
    reason: string,
    result: MethodResult,
    succeeded?: AuthnMethod,
  ): Step => ({
    code,
    reason,
    result,
    challenges: [],
    state: { challenges: [] },
    ...(succeeded && { succeeded }),
  })

  /**
   * One failure counted against `method` and audited, in one transaction. The user's row is
   * locked first (PostgreSQL; SQLite serialises transactions anyway), so the failures of one user
   * take turns: one that finds the method locked by a parallel failure counts nothing and is
   * audited METHOD_LOCKED (`'was-locked'`); otherwise the count locks the method once it reaches
   * `lockAt`, and `event` names the counted failure's audit event, told whether this very failure
   * locked the method (`'locked'`, else `'counted'`).
   */
  const countFailure = (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    method: AuthnMethod,
    methodId: string,
    lockAt: number,
    event: (locked: boolean) => { action: AuditAction; reason: string },
  ): Promise<'was-locked' | 'locked' | 'counted'> =>
    store.transaction(async (tx) => {
      await tx.users.findById(attempt.companyId, attempt.userId, { forUpdate: true })
      const before = (await tx.locks.list(attempt.companyId, attempt.userId)).find(
        (l) => l.method === method,
      )
      if (before && before.lockedAt !== null) {
        await auditVerification(tx, ctx, 'authn.failed', attempt.userId, {
          method: methodId,
          attemptId: attempt.id,
          reason: 'METHOD_LOCKED',
        })
        return 'was-locked'
      }
      const lock = await tx.locks.recordFailure(
        attempt.companyId,
        attempt.userId,
        method,
        clock.now(),
        lockAt,
      )
      const locked = lock.lockedAt !== null
      const { action, reason } = event(locked)
      await auditVerification(tx, ctx, action, attempt.userId, {
        method: methodId,
        attemptId: attempt.id,
        reason,
        locked,
      })
      return locked ? 'locked' : 'counted'
    })

  /**
   * A wrong value: counted against the method in the statement that may lock it; only the
   * failure that reached the threshold is audited `locked: true` (docs/events.md).
   */
  const wrongValue = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    method: AuthnMethod,
    methodId: string,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const counted = await countFailure(
      ctx,
      attempt,
      method,
      methodId,
      lockout.maxFailedAttempts,
      () => ({
        action: 'authn.failed',
        reason: 'VERIFY_ERROR',
      }),
    )
    const reason = counted === 'was-locked' ? 'METHOD_LOCKED' : 'VERIFY_ERROR'
    return terminal('FAIL', reason, methodResult(methodId, 'FAIL', reason))
  }

  const lockedAnswer = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    methodId: string,
  ): Promise<Step> => failStep(ctx, attempt.userId, attempt.id, methodId, 'METHOD_LOCKED')

  /**
   * A right value: the failure count is reset; a lock set meanwhile still wins. One transaction
   * holds it all, with `claim` first when the value is single-use (one conditional statement:
   * the TOTP step or the one-time code used); a claim that fails means the value was used
   * already, and it is answered as a wrong value.
   */
  const success = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    method: AuthnMethod,
    methodId: string,
    lockout: LockoutSettings,
    claim?: Claim,
  ): Promise<Step> => {
    const reason = await store.transaction(async (tx) => {
      if (claim && !(await claim(tx))) return 'VERIFY_ERROR'
      await tx.locks.resetFailures(user.companyId, user.id, method)
      const locked = await lockedNow(ctx, user, method, lockout, undefined, tx)
      const reason = locked ? 'METHOD_LOCKED' : 'CREDENTIAL_VERIFIED'
      await auditVerification(tx, ctx, locked ? 'authn.failed' : 'authn.succeeded', user.id, {
        method: methodId,
        attemptId: attempt.id,
        reason,
      })
      return reason
    })
    if (reason === 'VERIFY_ERROR') return wrongValue(ctx, attempt, method, methodId, lockout)
    if (reason === 'METHOD_LOCKED') {
      return terminal('FAIL', reason, methodResult(methodId, 'FAIL', reason))
    }
    return terminal(
      'SUCCESS',
      'CREDENTIAL_VERIFIED',
      methodResult(methodId, 'SUCCESS', 'CREDENTIAL_VERIFIED'),
      method,
    )
  }

  const challengeStep = (result: MethodResult, state: AttemptState): Step => ({
    code: 'CHALLENGE',
    reason: 'AUTHENTICATION_REQUIRED',
    result,
    challenges: state.challenges,
    state,
  })

  const challengeDetails = (attempt: AuthnAttempt, result: MethodResult): VerificationDetails => ({
    method: result.methodId,
    attemptId: attempt.id,
    reason: result.methodReasonCode ?? 'AUTHENTICATION_REQUIRED',
  })

  /** Another step is required: answered CHALLENGE, audited `action`. */
  const challenge = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    action: AuditAction,
    result: MethodResult,
    state: AttemptState,
  ): Promise<Step> => {
    await record(ctx, action, attempt.userId, challengeDetails(attempt, result))
    return challengeStep(result, state)
  }

  // --- methods ---------------------------------------------------------------------------

  const verifyTotp = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    value: string,
    known: Known,
  ): Promise<Step> => {
    const { lockout } = known
    const registration =
      known.totp === undefined
        ? await store.read.totpAuthenticators.find(user.companyId, user.id)
        : known.totp
    if (!registration) return notAvailable(ctx, attempt, 'TOKEN')
    if (!/^[0-9]{6}$/.test(value)) return wrongValue(ctx, attempt, 'TOKEN', 'TOKEN', lockout)
    const seed = secrets.decrypt(registration.seedCiphertext, totpSeedAad(user.companyId, user.id))
    const now = totpStep(clock.now(), TOTP_PERIOD_S)
    const step = findTotpStep(seed, value, now, 1, TOTP_DIGITS)
    if (step === undefined) return wrongValue(ctx, attempt, 'TOKEN', 'TOKEN', lockout)
    // The step is recorded by a conditional update: a code (or an earlier one) never passes twice.
    return success(ctx, attempt, user, 'TOKEN', 'TOKEN', lockout, (tx) =>
      tx.totpAuthenticators.useStep(user.companyId, user.id, step),
    )
  }

  const verifyEmergency = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    value: string,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const hash = emergencyCodeHash(secrets, user.id, value)
    // One statement: active, unexpired, matching; consumes a oneTimeUse code and stamps the use.
    return success(
      ctx,
      attempt,
      user,
      'EMERGENCY_TOKENCODE',
      'EMERGENCY_TOKENCODE',
      lockout,
      (tx) => tx.emergencyCodes.useOnline(user.companyId, user.id, hash, clock.now()),
    )
  }

  const oobCodeHash = (attemptId: string, method: string, code: string) =>
    secrets.hash('oob-code', `${attemptId}:${method}:${code}`)

  const verifyOutOfBand = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    method: 'SMS' | 'VOICE',
    value: string | undefined,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const to = method === 'SMS' ? user.smsNumber : user.voiceNumber
    if (!to) return notAvailable(ctx, attempt, method)
    const pending = attempt.state.pending
    if (value === undefined || value === '') {
      if (!deps.sender) return failStep(ctx, user.id, attempt.id, method, 'DELIVERY_FAILED')
      // Each send counts as a retry toward the lockout (authn-api.md, Methods), the first of an
      // attempt too, so that new attempts cannot send codes without limit. Once the sends and
      // wrong values since the last success have used up maxFailedAttempts, a send is refused and
      // locks the method; a send never sets the lock itself (with maxFailedAttempts 1 the one code
      // could never be sent), and a code that fails to leave is not counted.
      const used =
        (await store.read.locks.list(user.companyId, user.id)).find((l) => l.method === method)
          ?.failedCount ?? 0
      if (used >= lockout.maxFailedAttempts) {
        await countFailure(ctx, attempt, method, method, LOCK_NOW, () => ({
          action: 'authn.failed',
          reason: 'METHOD_LOCKED',
        }))
        return terminal('FAIL', 'METHOD_LOCKED', methodResult(method, 'FAIL', 'METHOD_LOCKED'))
      }
      const code = generateCode(random, OOB_CODE_LENGTH, 'NUMERIC')
      const expiresAt = clock.now() + OOB_CODE_VALIDITY_MS
      try {
        await deps.sender.send({
          channel: method,
          to,
          message: `Your verification code is ${code}. It expires in 5 minutes.`,
          userId: user.id,
          companyId: user.companyId,
          expiresAt,
        })
      } catch {
        return failStep(ctx, user.id, attempt.id, method, 'DELIVERY_FAILED')
      }
      const counted = await countFailure(ctx, attempt, method, method, COUNT_ONLY, () => ({
        action: 'authn.code_sent',
        reason: 'CODE_SENT',
      }))
      // Locked meanwhile by a parallel wrong value: the code cannot be used.
      if (counted === 'was-locked') {
        return terminal('FAIL', 'METHOD_LOCKED', methodResult(method, 'FAIL', 'METHOD_LOCKED'))
      }
      // Audited already (authn.code_sent, with the count).
      return challengeStep(methodResult(method, 'CHALLENGE', 'CODE_SENT'), {
        challenges: [method],
        pending: { method, codeHash: oobCodeHash(attempt.id, method, code), expiresAt },
      })
    }
    if (
      pending?.method !== method ||
      pending.expiresAt <= clock.now() ||
      !codesEqual(pending.codeHash, oobCodeHash(attempt.id, method, value.trim()))
    ) {
      return wrongValue(ctx, attempt, method, method, lockout)
    }
    return success(ctx, attempt, user, method, method, lockout)
  }

  /** Enabled tokens of the user with their secrets, seeds decrypted. */
  const tokenSecrets = async (user: User) => {
    const tokens = await store.read.tokens.listAssigned(user.companyId, user.id)
    const out: {
      token: HardwareToken
      seed: Uint8Array
      pinHash: string | null
      lastUsedStep: number | null
      drift: number
    }[] = []
    for (const token of tokens) {
      if (token.status !== 'Enabled') continue
      const secret = await store.read.tokens.findSecret(user.companyId, token.serial)
      if (!secret) continue
      out.push({
        token,
        seed: secrets.decrypt(secret.seedCiphertext, seedAad(user.companyId, token.serial)),
        pinHash: token.pinSet ? secret.pinHash : null,
        lastUsedStep: secret.lastUsedStep,
        drift: secret.driftSteps,
      })
    }
    return out
  }

  const pinHashOf = (tokenId: string, pin: string) => secrets.hash('token-pin', `${tokenId}:${pin}`)

  /**
   * After a correct tokencode: new-PIN mode when the token has no PIN, else done. The tokencode's
   * step is recorded as used (and the drift learnt, an `Activation Pending` token activated) in
   * the transaction of the step's audit event; a step used meanwhile is a wrong value.
   */
  const afterTokencode = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    token: HardwareToken,
    step: number,
    methodId: string,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const now = clock.now()
    const use: Claim = (tx) =>
      tx.tokens.recordUse(user.companyId, token.serial, {
        step,
        drift: step - totpStep(now, token.period),
        at: now,
      })
    if (token.pinSet) return success(ctx, attempt, user, 'SECURID', methodId, lockout, use)
    const result = methodResult(methodId, 'SUCCESS', 'NEW_PIN_REQUIRED')
    const challenged = await record(
      ctx,
      'authn.challenged',
      attempt.userId,
      challengeDetails(attempt, result),
      use,
    )
    if (!challenged) return wrongValue(ctx, attempt, 'SECURID', methodId, lockout)
    return challengeStep(result, {
      challenges: ['SECURID_NEWPIN'],
      securid: { serial: token.serial, stage: 'NEWPIN', step },
    })
  }

  const verifySecurid = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    value: string,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const candidates = await tokenSecrets(user)
    if (candidates.length === 0) return notAvailable(ctx, attempt, 'SECURID')
    for (const c of candidates) {
      const digits = c.token.digits
      if (c.pinHash === null ? value.length !== digits : value.length <= digits) continue
      const pin = value.slice(0, value.length - digits)
      const code = value.slice(value.length - digits)
      if (!/^[0-9]+$/.test(code)) continue
      if (c.pinHash !== null && !codesEqual(c.pinHash, pinHashOf(c.token.id, pin))) continue
      const now = totpStep(clock.now(), c.token.period)
      const center = now + c.drift
      const step = findTotpStep(c.seed, code, center, 1, digits)
      if (step !== undefined) {
        if (c.lastUsedStep === null || step > c.lastUsedStep) {
          return afterTokencode(ctx, attempt, user, c.token, step, 'SECURID', lockout)
        }
        continue
      }
      const far = findTotpStep(c.seed, code, center, SECURID_RESYNC_WINDOW, digits)
      if (far !== undefined && (c.lastUsedStep === null || far > c.lastUsedStep)) {
        return challenge(
          ctx,
          attempt,
          'authn.challenged',
          methodResult('SECURID', 'CHALLENGE', 'NEXT_TOKENCODE_REQUIRED'),
          {
            challenges: ['SECURID_NEXT_TOKENCODE'],
            securid: { serial: c.token.serial, stage: 'NEXT_TOKENCODE', step: far },
          },
        )
      }
    }
    return wrongValue(ctx, attempt, 'SECURID', 'SECURID', lockout)
  }

  const verifyNextTokencode = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    value: string,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const methodId = 'SECURID_NEXT_TOKENCODE'
    const dialogue = attempt.state.securid
    const c = (await tokenSecrets(user)).find((t) => t.token.serial === dialogue?.serial)
    if (!dialogue || !c) return wrongValue(ctx, attempt, 'SECURID', methodId, lockout)
    // The next code is that of the step after the one matched (or the one after, if the user
    // waited a little long).
    const next = [dialogue.step + 1, dialogue.step + 2].find((step) =>
      codesEqual(hotp(c.seed, step, c.token.digits), value),
    )
    if (next === undefined) return wrongValue(ctx, attempt, 'SECURID', methodId, lockout)
    return afterTokencode(ctx, attempt, user, c.token, next, methodId, lockout)
  }

  const verifyNewPin = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    value: string,
    lockout: LockoutSettings,
  ): Promise<Step> => {
    const methodId = 'SECURID_NEWPIN'
    const dialogue = attempt.state.securid
    const token =
      dialogue && (await store.read.tokens.findBySerial(user.companyId, dialogue.serial))
    if (!dialogue || !token || token.assignedUserId !== user.id) {
      return wrongValue(ctx, attempt, 'SECURID', methodId, lockout)
    }
    if (!PIN_PATTERN.test(value)) {
      // A PIN that breaks the policy is asked for again; it is not a wrong credential.
      return challenge(
        ctx,
        attempt,
        'authn.challenged',
        methodResult(methodId, 'FAIL', 'PIN_REJECTED'),
        {
          challenges: ['SECURID_NEWPIN'],
          securid: dialogue,
        },
      )
    }
    await store.transaction(async (tx) => {
      await tx.tokens.setPin(user.companyId, token.serial, pinHashOf(token.id, value))
      await audit(tx, ctx, clock.now(), {
        action: 'token.pin_set',
        targetType: 'token',
        targetId: token.serial,
        details: { userId: user.id },
      })
    })
    // The user proves the new PIN with the next tokencode (research §1.9, new PIN).
    return challenge(
      ctx,
      attempt,
      'authn.challenged',
      methodResult(methodId, 'SUCCESS', 'NEW_PIN_ACCEPTED'),
      {
        challenges: ['SECURID'],
      },
    )
  }

  const notAvailable = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    methodId: string,
  ): Promise<Step> => failStep(ctx, attempt.userId, attempt.id, methodId, 'METHOD_NOT_AVAILABLE')

  /** The method whose lockout a credential's `methodId` counts toward (none: not a method). */
  const lockMethodOf = (methodId: string): AuthnMethod | undefined =>
    isAuthnMethod(methodId)
      ? methodId
      : methodId === 'SECURID_NEXT_TOKENCODE' || methodId === 'SECURID_NEWPIN'
        ? 'SECURID'
        : undefined

  /**
   * One credential against the attempt's expectations. `known`: what the caller read for this
   * very request (a single-step initialize has read the settings, locks and TOTP registration).
   */
  const verifyCredential = async (
    ctx: AgentContext,
    attempt: AuthnAttempt,
    user: User,
    credential: CredentialInput,
    known?: Known,
  ): Promise<Step> => {
    const lockout = known?.lockout ?? (await lockoutSettings(user.companyId))
    const methodId = credential.methodId.slice(0, MAX_ID_LENGTH)
    const lockMethod = lockMethodOf(methodId)
    // A locked method answers METHOD_LOCKED whatever the value, offered or not.
    if (lockMethod && (await lockedNow(ctx, user, lockMethod, lockout, known?.locks))) {
      return lockedAnswer(ctx, attempt, methodId)
    }
    if (!(attempt.state.challenges as string[]).includes(methodId)) {
      return notAvailable(ctx, attempt, methodId)
    }
    const raw = credential.value
    if (raw !== undefined && raw.length > MAX_CREDENTIAL_LENGTH) {
      return lockMethod
        ? wrongValue(ctx, attempt, lockMethod, methodId, lockout)
        : notAvailable(ctx, attempt, methodId)
    }
    const value = raw?.trim()
    switch (methodId) {
      case 'SMS':
      case 'VOICE':
        return verifyOutOfBand(ctx, attempt, user, methodId, value, lockout)
      case 'TOKEN':
        return verifyTotp(ctx, attempt, user, value ?? '', { lockout, ...known })
      case 'EMERGENCY_TOKENCODE':
        return verifyEmergency(ctx, attempt, user, value ?? '', lockout)
      case 'SECURID':
        return verifySecurid(ctx, attempt, user, value ?? '', lockout)
      case 'SECURID_NEXT_TOKENCODE':
        return verifyNextTokencode(ctx, attempt, user, value ?? '', lockout)
      case 'SECURID_NEWPIN':
        return verifyNewPin(ctx, attempt, user, value ?? '', lockout)
      default:
        return notAvailable(ctx, attempt, methodId)
    }
  }

  const outcome = (
    attemptId: string,
    messageId: string,
    inResponseTo: string,
    code: AuthnOutcome['attemptResponseCode'],
    reason: string,
    results: MethodResult[] = [],
    challenges: ChallengeMethodId[] = [],
  ): AuthnOutcome => ({
    authnAttemptId: attemptId,
    messageId,
    inResponseTo,
    attemptResponseCode: code,
    attemptReasonCode: reason,
    results,
    challenges,
  })

  /**
   * Saves what a step did: the attempt's new state, or its removal once it is over (unless
   * `keepAttempt`). `stored`: false for a single-step initialize, whose attempt is written only
   * if it goes on or is kept.
   */
  const settle = async (
    attempt: AuthnAttempt,
    step: Step,
    messageId: string,
    inResponseTo: string,
    stored = true,
  ): Promise<AuthnOutcome> => {
    const status =
      step.code === 'SUCCESS' ? 'SUCCESS' : step.code === 'CHALLENGE' ? 'CHALLENGE' : 'FAIL'
    const successfulMethods = step.succeeded
      ? [...attempt.successfulMethods, step.succeeded]
      : attempt.successfulMethods
    const change = {
      status,
      reasonCode: step.reason,
      successfulMethods,
      state: step.state,
      updatedAt: clock.now(),
    } as const
    if (status !== 'CHALLENGE' && !attempt.keepAttempt) {
      if (stored) await store.read.authnAttempts.remove(attempt.companyId, attempt.id)
    } else if (stored) {
      await store.read.authnAttempts.update(attempt.companyId, attempt.id, change)
    } else {
      await store.read.authnAttempts.insert({ ...attempt, ...change })
    }
    return outcome(
      attempt.id,
      messageId,
      inResponseTo,
      step.code,
      step.reason,
      [step.result],
      step.challenges,
    )
  }

  const failWithoutAttempt = async (
    ctx: AgentContext,
    attemptId: string,
    messageId: string,
    inResponseTo: string,
    reason: string,
    userId: string | null,
    locked?: boolean,
  ): Promise<AuthnOutcome> => {
    await record(ctx, 'authn.failed', userId, {
      method: null,
      attemptId,
      reason,
      ...(locked && { locked }),
    })
    return outcome(attemptId, messageId, inResponseTo, 'FAIL', reason)
  }

  return {
    async initialize(ctx: AgentContext, input: InitializeInput): Promise<AuthnOutcome> {
      const messageId = newId()
      const inResponseTo = input.messageId.slice(0, MAX_ID_LENGTH)
      const subject = input.subjectName.trim()
      if (subject === '' || subject.length > MAX_SUBJECT_LENGTH || input.messageId === '') {
        return outcome('', messageId, inResponseTo, 'ERROR', 'INVALID_REQUEST')
      }
      const attemptId = newId()
      const user = await findUser(ctx.companyId, subject)
      if (!user)
        return failWithoutAttempt(ctx, attemptId, messageId, inResponseTo, 'USER_NOT_FOUND', null)
      if (user.userStatus !== 'Enabled') {
        return failWithoutAttempt(ctx, attemptId, messageId, inResponseTo, 'USER_DISABLED', user.id)
      }
      const lockout = await lockoutSettings(user.companyId)
      const { usable, locked, totp, locks } = await usableMethods(ctx, user, lockout)
      const forced = input.authMethodId
      const offered = forced === null ? usable : usable.filter((m) => m === forced)
      const now = clock.now()
      const timeoutSeconds = clampTimeout(input.timeoutSeconds)
      const attempt: AuthnAttempt = {
        id: attemptId,
        companyId: ctx.companyId,
        agentKeyId: ctx.actor.id ?? '',
        userId: user.id,
        subjectName: subject,
        clientId: ctx.clientId,
        lastMessageId: messageId,
        timeoutSeconds,
        expiresAt: now + timeoutSeconds * 1000,
        keepAttempt: input.keepAttempt,
        status: 'CHALLENGE',
        reasonCode: 'AUTHENTICATION_REQUIRED',
        successfulMethods: [],
        state: { challenges: offered },
        createdAt: now,
        updatedAt: now,
      }
      // Nothing to offer. The method asked for (authMethodId) is locked: METHOD_LOCKED, as
      // verifying it would answer. Otherwise the user has no usable method (none enrolled, or every
      // one locked): NO_METHOD_AVAILABLE (authn-api.md), audited `locked: true` when locks are the
      // cause. A single-step credential for a locked method answers METHOD_LOCKED (lockout rule).
      const credential = input.credentials[0]
      const credentialMethod =
        credential && lockMethodOf(credential.methodId.slice(0, MAX_ID_LENGTH))
      const credentialLocked = credentialMethod !== undefined && locked.includes(credentialMethod)
      if (offered.length === 0 && !credentialLocked) {
        const forcedLocked = forced !== null && (locked as string[]).includes(forced)
        return failWithoutAttempt(
          ctx,
          attemptId,
          messageId,
          inResponseTo,
          forcedLocked ? 'METHOD_LOCKED' : 'NO_METHOD_AVAILABLE',
          user.id,
          forced === null && locked.length > 0,
        )
      }
      if (credential) {
        // Single-step: the credential is verified as if by a first verify of this attempt,
        // which is stored only if it goes on (a challenge) or the agent keeps it: its id is
        // unknown to anyone until this answer, so no other call can be looking for it.
        const step = await verifyCredential(ctx, attempt, user, credential, {
          lockout,
          // As they stand now: usableMethods has just cleared the locks that were due to end.
          locks: effectiveLocks(locks, lockout.autoUnlockAfterMinutes, now),
          totp: totp ?? null,
        })
        return settle(attempt, step, messageId, inResponseTo, false)
      }
      await store.read.authnAttempts.insert(attempt)
      return outcome(
        attemptId,
        messageId,
        inResponseTo,
        'CHALLENGE',
        'AUTHENTICATION_REQUIRED',
        [],
        offered,
      )
    },

    async verify(ctx: AgentContext, input: VerifyInput): Promise<AuthnOutcome> {
      const messageId = newId()
      const inResponseTo = input.messageId.slice(0, MAX_ID_LENGTH)
      const attemptId = input.authnAttemptId.slice(0, MAX_ID_LENGTH)
      const error = (reason: string) => outcome(attemptId, messageId, inResponseTo, 'ERROR', reason)
      if (input.messageId === '') return error('INVALID_REQUEST')
      const attempt =
        attemptId === '' ? undefined : await store.read.authnAttempts.find(ctx.companyId, attemptId)
      const now = clock.now()
      if (!attempt || attempt.expiresAt <= now) return error('AUTHN_ATTEMPT_NOT_FOUND')
      if (attempt.status !== 'CHALLENGE') return error('AUTHN_ATTEMPT_NOT_FOUND')
      // A request without a credential is refused before it takes the attempt's next message.
      const credential = input.credentials[0]
      if (!credential) return error('INVALID_REQUEST')
      const timeoutSeconds =
        input.timeoutSeconds === undefined
          ? attempt.timeoutSeconds
          : clampTimeout(input.timeoutSeconds)
      const claimed =
        input.inResponseTo === attempt.lastMessageId &&
        (await store.read.authnAttempts.claim(ctx.companyId, attempt.id, attempt.lastMessageId, {
          messageId,
          expiresAt: now + timeoutSeconds * 1000,
          now,
        }))
      if (!claimed) return error('OUT_OF_SEQUENCE')
      const user = await store.read.users.findById(ctx.companyId, attempt.userId)
      if (user?.userStatus !== 'Enabled') {
        await store.read.authnAttempts.remove(ctx.companyId, attempt.id)
        return failWithoutAttempt(
          ctx,
          attempt.id,
          messageId,
          inResponseTo,
          user ? 'USER_DISABLED' : 'USER_NOT_FOUND',
          attempt.userId,
        )
      }
      // The agent names itself (clientId) at initialize; later calls are logged under that name.
      const attemptCtx: AgentContext = { ...ctx, clientId: ctx.clientId ?? attempt.clientId }
      const step = await verifyCredential(attemptCtx, attempt, user, credential)
      return settle(attempt, step, messageId, inResponseTo)
    },

    async status(
      ctx: AgentContext,
      input: { authnAttemptId: string; removeAttemptId: boolean },
    ): Promise<AttemptStatusView> {
      const attempt =
        input.authnAttemptId === ''
          ? undefined
          : await store.read.authnAttempts.find(
              ctx.companyId,
              input.authnAttemptId.slice(0, MAX_ID_LENGTH),
            )
      if (!attempt || attempt.expiresAt <= clock.now()) {
        return {
          attemptResponseCode: 'ERROR',
          attemptReasonCode: 'AUTHN_ATTEMPT_NOT_FOUND',
          subjectName: '',
          successfulMethods: [],
          attemptExpires: null,
        }
      }
      if (input.removeAttemptId) await store.read.authnAttempts.remove(ctx.companyId, attempt.id)
      return {
        attemptResponseCode: attempt.status,
        attemptReasonCode: attempt.reasonCode,
        subjectName: attempt.subjectName,
        successfulMethods: attempt.successfulMethods,
        attemptExpires: attempt.expiresAt,
      }
    },

    async cancel(
      ctx: AgentContext,
      input: { authnAttemptId: string; reason: string; removeAttemptId: boolean },
    ): Promise<AuthnOutcome> {
      const messageId = newId()
      const attemptId = input.authnAttemptId.slice(0, MAX_ID_LENGTH)
      const attempt =
        attemptId === '' ? undefined : await store.read.authnAttempts.find(ctx.companyId, attemptId)
      if (!attempt || attempt.expiresAt <= clock.now()) {
        return outcome(attemptId, messageId, '', 'ERROR', 'AUTHN_ATTEMPT_NOT_FOUND')
      }
      if (attempt.status !== 'CHALLENGE') {
        // Over already (a kept attempt): its outcome stands, nothing is cancelled or audited; as
        // for a verify, no attempt is in progress. `removeAttemptId` still removes it.
        if (input.removeAttemptId) await store.read.authnAttempts.remove(ctx.companyId, attempt.id)
        return outcome(attempt.id, messageId, '', 'ERROR', 'AUTHN_ATTEMPT_NOT_FOUND')
      }
      if (input.removeAttemptId) {
        await store.read.authnAttempts.remove(ctx.companyId, attempt.id)
      } else {
        await store.read.authnAttempts.update(ctx.companyId, attempt.id, {
          status: 'FAIL',
          reasonCode: 'CANCELLED',
          successfulMethods: attempt.successfulMethods,
          state: { challenges: [] },
          updatedAt: clock.now(),
        })
      }
      await record(ctx, 'authn.cancelled', attempt.userId, {
        method: null,
        attemptId: attempt.id,
        reason: input.reason === 'TIME_OUT' ? 'TIME_OUT' : 'USER_ACTION',
      })
      return outcome(attempt.id, messageId, '', 'FAIL', 'CANCELLED')
    },
  }
}

export type AuthnService = ReturnType<typeof createAuthnService>
