import type { LockableMethod } from './methods.js'

/**
 * The Authentication API's domain (authn-api.md; research Part 1 §1.3–§1.9): attempts, the
 * context chain, methods and outcomes. The wire shape (challenge entries, prompts) is the
 * server's; this is what it is built from.
 */
export const AUTHN_METHODS = ['SECURID', 'TOKEN', 'SMS', 'VOICE', 'EMERGENCY_TOKENCODE'] as const
export type AuthnMethod = LockableMethod & (typeof AUTHN_METHODS)[number]

/** What a challenge may ask for: a method, or a step of SecurID's PIN/resync dialogue. */
export type ChallengeMethodId = AuthnMethod | 'SECURID_NEXT_TOKENCODE' | 'SECURID_NEWPIN'

export const isAuthnMethod = (value: string): value is AuthnMethod =>
  (AUTHN_METHODS as readonly string[]).includes(value)

export const DEFAULT_ATTEMPT_TIMEOUT_S = 180
export const MAX_ATTEMPT_TIMEOUT_S = 600
/** SMS and voice codes: 6 digits, valid 5 minutes (authn-api.md "Methods"). */
export const OOB_CODE_LENGTH = 6
export const OOB_CODE_VALIDITY_MS = 5 * 60_000
/** Authenticate OTP (RFC 6238): 30 s steps, 6 digits, ±1 step accepted. */
export const TOTP_PERIOD_S = 30
export const TOTP_DIGITS = 6
/** Hardware tokens: codes within ±10 steps (but not ±1) ask for the next tokencode. */
export const SECURID_RESYNC_WINDOW = 10
export const PIN_PATTERN = /^[0-9]{4,8}$/
/** Longest value worth looking at; longer values are simply wrong. */
export const MAX_CREDENTIAL_LENGTH = 256

export type ResponseCode = 'SUCCESS' | 'FAIL' | 'CHALLENGE' | 'ERROR' | 'IN_PROCESS'
export type AttemptStatus = 'CHALLENGE' | 'SUCCESS' | 'FAIL'

/** Per-attempt state kept between calls (stored as JSON with the attempt). */
export interface AttemptState {
  /** The methods the next verify may answer, one challenge set each. */
  challenges: ChallengeMethodId[]
  /** A sent SMS/voice code: only its keyed hash. */
  pending?: { method: 'SMS' | 'VOICE'; codeHash: string; expiresAt: number }
  /** SecurID dialogue in progress: which token, which stage, the step already matched. */
  securid?: { serial: string; stage: 'NEXT_TOKENCODE' | 'NEWPIN'; step: number }
}

export interface AuthnAttempt {
  id: string
  companyId: string
  agentKeyId: string
  userId: string
  subjectName: string
  clientId: string | null
  /** The server `messageId` the next request must name in `inResponseTo`. */
  lastMessageId: string
  timeoutSeconds: number
  expiresAt: number
  keepAttempt: boolean
  status: AttemptStatus
  reasonCode: string
  successfulMethods: string[]
  state: AttemptState
  createdAt: number
  updatedAt: number
}

export interface AttemptChange {
  status: AttemptStatus
  reasonCode: string
  successfulMethods: string[]
  state: AttemptState
  updatedAt: number
}

export interface AuthnAttemptRepository {
  insert(attempt: AuthnAttempt): Promise<void>
  find(companyId: string, id: string): Promise<AuthnAttempt | undefined>
  /**
   * Compare-and-set of the context chain: moves `lastMessageId` from `expected` to `next` and
   * slides the expiry, only if the attempt is still open, unexpired and at `expected`.
   * Exactly one of two parallel calls naming the same `inResponseTo` wins.
   */
  claim(
    companyId: string,
    id: string,
    expected: string,
    next: { messageId: string; expiresAt: number; now: number },
  ): Promise<boolean>
  update(companyId: string, id: string, change: AttemptChange): Promise<void>
  remove(companyId: string, id: string): Promise<void>
}

/** A user's Authenticate OTP (TOTP) registration; one per user, re-registering replaces it. */
export interface TotpAuthenticator {
  id: string
  companyId: string
  userId: string
  createdAt: number
  lastUsedStep: number | null
}

export interface StoredTotpAuthenticator extends TotpAuthenticator {
  /** AES-GCM ciphertext of the seed, bound by {@link totpSeedAad}. */
  seedCiphertext: Uint8Array
}

export interface TotpAuthenticatorRepository {
  /** Inserts, or replaces the user's registration (seed, id, time; no step used yet). */
  replace(authenticator: StoredTotpAuthenticator): Promise<void>
  find(companyId: string, userId: string): Promise<StoredTotpAuthenticator | undefined>
  /** Records `step` as used if no later or equal step was: false means a replay. */
  useStep(companyId: string, userId: string, step: number): Promise<boolean>
}

export const totpSeedAad = (companyId: string, userId: string): string =>
  `totp.seed:${companyId}:${userId}`

/** What verification needs of a hardware token beyond its public fields. */
export interface TokenSecret {
  seedCiphertext: Uint8Array
  pinHash: string | null
  lastUsedStep: number | null
  driftSteps: number
}

/** One credential as sent: `methodId` and the value of its first collected input, if any. */
export interface CredentialInput {
  methodId: string
  value: string | undefined
}

export interface InitializeInput {
  subjectName: string
  messageId: string
  credentials: CredentialInput[]
  authMethodId: string | null
  timeoutSeconds: number | undefined
  keepAttempt: boolean
  clientId: string | null
}

export interface VerifyInput {
  authnAttemptId: string
  messageId: string
  inResponseTo: string
  credentials: CredentialInput[]
  timeoutSeconds: number | undefined
}

export interface MethodResult {
  methodId: string
  methodResponseCode: ResponseCode
  methodReasonCode: string | null
}

export interface AuthnOutcome {
  authnAttemptId: string
  messageId: string
  inResponseTo: string
  attemptResponseCode: ResponseCode
  attemptReasonCode: string
  results: MethodResult[]
  challenges: ChallengeMethodId[]
}

export interface AttemptStatusView {
  attemptResponseCode: ResponseCode
  attemptReasonCode: string
  subjectName: string
  successfulMethods: string[]
  attemptExpires: number | null
}

/** An SMS or voice message for the delivery channel (authn-api.md "SMS and voice delivery"). */
export interface OutOfBandMessage {
  channel: 'SMS' | 'VOICE'
  to: string
  message: string
  userId: string
  companyId: string
  expiresAt: number
}

/** The delivery port: file outbox or webhook, chosen by the deployment. */
export interface OutOfBandSender {
  send(message: OutOfBandMessage): Promise<void>
}

/** A timeout as sent: absent or not a positive number → the default; above 600 → 600. */
export const clampTimeout = (value: number | undefined): number => {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return DEFAULT_ATTEMPT_TIMEOUT_S
  return Math.min(MAX_ATTEMPT_TIMEOUT_S, Math.max(1, Math.floor(value)))
}
