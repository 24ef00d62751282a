import type {
  AttemptStatusView,
  AuthnOutcome,
  ChallengeMethodId,
  CredentialInput,
  InitializeInput,
  VerifyInput,
} from '@tokendesk/core'

/**
 * The Authentication API's wire format (authn-api.md; research Part 1 §1.4–§1.8, §1.11).
 * Requests are read tolerantly — unknown fields ignored, `clientID` mis-cased, empty context
 * strings, inputs without `value` or `dataType` — and responses always carry every key real
 * clients dereference.
 */

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

const num = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^[0-9]{1,6}$/.test(value.trim())) return Number(value)
  return undefined
}

const bool = (value: unknown, fallback: boolean): boolean =>
  typeof value === 'boolean'
    ? value
    : value === 'true'
      ? true
      : value === 'false'
        ? false
        : fallback

/** A value as collected: strings as sent, numbers (`INT32`) as digits; anything else never matches. */
const collectedValue = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return '\u0000'
}

/** `subjectCredentials`: each credential's value is that of the input named like the method, else the first. */
export const readCredentials = (value: unknown): CredentialInput[] => {
  if (!Array.isArray(value)) return []
  const out: CredentialInput[] = []
  for (const item of value) {
    if (!isObject(item)) continue
    const methodId = str(item.methodId)
    if (methodId === undefined) continue
    const inputs = Array.isArray(item.collectedInputs) ? item.collectedInputs.filter(isObject) : []
    const input = inputs.find((i) => i.name === methodId) ?? inputs[0]
    out.push({ methodId, value: collectedValue(input?.value) })
  }
  return out
}

const contextOf = (body: Json): Json => (isObject(body.context) ? body.context : {})

/** Undefined when the body is not an object or lacks what the call cannot do without. */
export const readInitialize = (body: unknown): InitializeInput | undefined => {
  if (!isObject(body)) return undefined
  const subjectName = str(body.subjectName)
  const messageId = str(contextOf(body).messageId)
  if (subjectName === undefined || messageId === undefined) return undefined
  const clientId = str(body.clientId) ?? str(body.clientID) ?? null
  return {
    subjectName,
    messageId,
    credentials: readCredentials(body.subjectCredentials),
    authMethodId: str(body.authMethodId) || null,
    timeoutSeconds: num(body.authnAttemptTimeout),
    keepAttempt: bool(body.keepAttempt, false),
    clientId: clientId === null ? null : clientId.slice(0, 256),
  }
}

export const readVerify = (body: unknown): VerifyInput | undefined => {
  if (!isObject(body)) return undefined
  const context = contextOf(body)
  const messageId = str(context.messageId)
  if (messageId === undefined) return undefined
  return {
    authnAttemptId: str(context.authnAttemptId) ?? '',
    messageId,
    inResponseTo: str(context.inResponseTo) ?? '',
    credentials: readCredentials(body.subjectCredentials),
    timeoutSeconds: num(body.authnAttemptTimeout),
  }
}

export const readAttemptCall = (body: unknown) => {
  const fields = isObject(body) ? body : {}
  return {
    authnAttemptId: str(fields.authnAttemptId) ?? '',
    reason: str(fields.reason) ?? 'USER_ACTION',
    removeAttemptId: bool(fields.removeAttemptId, true),
  }
}

export const clientIdOf = (body: unknown): string | null => {
  if (!isObject(body)) return null
  const id = str(body.clientId) ?? str(body.clientID)
  return id === undefined ? null : id.slice(0, 256)
}

interface PromptText {
  resourceId: string
  text: string
  valueBeingDefined: boolean
  minLength: number
  maxLength: number
  formatRegex: string | null
}

interface MethodDisplay {
  displayName: string
  prompt: PromptText
}

/** Display names exactly as authn-api.md lists them (ForgeRock filters choices by them). */
export const METHOD_DISPLAY: Record<ChallengeMethodId, MethodDisplay> = {
  SECURID: {
    displayName: 'RSA SecurID',
    prompt: {
      resourceId: 'PROMPT.SID.PASSCODE',
      text: 'Enter your PIN followed by the tokencode (or the tokencode alone if you have no PIN)',
      valueBeingDefined: false,
      minLength: 6,
      maxLength: 16,
      formatRegex: '^[0-9]{6,16}$',
    },
  },
  SECURID_NEXT_TOKENCODE: {
    displayName: 'RSA SecurID Next Tokencode',
    prompt: {
      resourceId: 'PROMPT.SID.NEXT_TOKENCODE',
      text: 'Wait for the tokencode to change, then enter the new tokencode',
      valueBeingDefined: false,
      minLength: 6,
      maxLength: 8,
      formatRegex: '^[0-9]{6,8}$',
    },
  },
  SECURID_NEWPIN: {
    displayName: 'RSA SecurID New PIN',
    prompt: {
      resourceId: 'PROMPT.SID.NEW_PIN',
      text: 'Enter a new PIN of 4 to 8 digits',
      valueBeingDefined: true,
      minLength: 4,
      maxLength: 8,
      formatRegex: '^[0-9]{4,8}$',
    },
  },
  TOKEN: {
    displayName: 'Authenticate Tokencode',
    prompt: {
      resourceId: 'PROMPT.TOKEN.TOKENCODE',
      text: 'Enter the tokencode from the authenticator app',
      valueBeingDefined: false,
      minLength: 6,
      maxLength: 6,
      formatRegex: '^[0-9]{6}$',
    },
  },
  SMS: {
    displayName: 'SMS Tokencode',
    prompt: {
      resourceId: 'PROMPT.SMS.TOKENCODE',
      text: 'Enter the code sent to your phone by SMS',
      valueBeingDefined: false,
      minLength: 6,
      maxLength: 6,
      formatRegex: '^[0-9]{6}$',
    },
  },
  VOICE: {
    displayName: 'Voice Tokencode',
    prompt: {
      resourceId: 'PROMPT.VOICE.TOKENCODE',
      text: 'Enter the code read to you by phone',
      valueBeingDefined: false,
      minLength: 6,
      maxLength: 6,
      formatRegex: '^[0-9]{6}$',
    },
  },
  EMERGENCY_TOKENCODE: {
    displayName: 'Emergency Tokencode',
    prompt: {
      resourceId: 'PROMPT.EMERGENCY.TOKENCODE',
      text: 'Enter the emergency tokencode your help desk gave you',
      valueBeingDefined: false,
      minLength: 6,
      maxLength: 16,
      formatRegex: null,
    },
  },
}

/** `GET /authn/resources`: every prompt text (English whatever `lang`), or the one named. */
export const resources = (resourceId: string | undefined) =>
  Object.values(METHOD_DISPLAY)
    .map(({ prompt }) => ({ name: prompt.resourceId, value: prompt.text }))
    .filter((pair) => resourceId === undefined || resourceId === '' || pair.name === resourceId)

const challengeSet = (methodId: ChallengeMethodId, index: number, codeSent: boolean) => {
  const { displayName, prompt } = METHOD_DISPLAY[methodId]
  // SMS/VOICE before a code is sent: selecting the method (a verify without value) sends it.
  const outOfBand = methodId === 'SMS' || methodId === 'VOICE'
  return {
    methodSetId: `set-${index + 1}`,
    requiredMethods: [
      {
        methodId,
        displayName,
        priority: index + 1,
        versions: [
          {
            versionId: '1.0.0',
            methodAttributes: [],
            valueRequired: !outOfBand || codeSent,
            referenceId: null,
            prompt: {
              promptResourceId: prompt.resourceId,
              defaultText: prompt.text,
              formatRegex: prompt.formatRegex,
              defaultValue: null,
              valueBeingDefined: prompt.valueBeingDefined,
              sensitive: true,
              minLength: prompt.minLength,
              maxLength: prompt.maxLength,
              promptArgs: [],
            },
          },
        ],
      },
    ],
  }
}

/** `AuthNResponse` with every key, always (research §1.6, §1.11). */
export const authnResponse = (outcome: AuthnOutcome) => {
  const codeSent = outcome.results.some((r) => r.methodReasonCode === 'CODE_SENT')
  return {
    context: {
      authnAttemptId: outcome.authnAttemptId,
      messageId: outcome.messageId,
      inResponseTo: outcome.inResponseTo,
    },
    credentialValidationResults: outcome.results.map((r) => ({
      methodId: r.methodId,
      methodResponseCode: r.methodResponseCode,
      methodReasonCode: r.methodReasonCode,
      authnAttributes: [],
    })),
    attemptResponseCode: outcome.attemptResponseCode,
    attemptReasonCode: outcome.attemptReasonCode,
    challengeMethods: {
      challenges: outcome.challenges.map((m, i) => challengeSet(m, i, codeSent)),
    },
  }
}

export const statusResponse = (view: AttemptStatusView) => ({
  attemptResponseCode: view.attemptResponseCode,
  attemptReasonCode: view.attemptReasonCode,
  subjectName: view.subjectName,
  authnPolicyId: null,
  sessionAttributes: [],
  successfulMethods: view.successfulMethods,
  attemptExpires: view.attemptExpires === null ? null : new Date(view.attemptExpires).toISOString(),
})

/** Answer to a body that is JSON but not a usable request: `ERROR`, never a 4xx. */
export const invalidRequest = (messageId: string, inResponseTo: string, attemptId = '') =>
  authnResponse({
    authnAttemptId: attemptId,
    messageId,
    inResponseTo,
    attemptResponseCode: 'ERROR',
    attemptReasonCode: 'INVALID_REQUEST',
    results: [],
    challenges: [],
  })
