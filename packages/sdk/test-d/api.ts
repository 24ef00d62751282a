/**
 * Type tests (`npx tsc -p tsconfig.test.json`, never run): each `@ts-expect-error` must be an
 * error, so this file stops compiling when a request type gets too loose; the `Equals` checks
 * pin the answers.
 */
import {
  createClient,
  type EmergencyTokencode,
  type TokendeskApiError,
  type TokenStatusResult,
  type UnlockResult,
  type UserDetails,
} from '../src/index.js'

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

declare const keyFile: Parameters<typeof createClient>[0]['keyFile']
const client = createClient({ keyFile })
const id = '54082ac6-4713-6368-2251-df813c41159f'

export const typeTests = async (): Promise<void> => {
  // Answers.
  assertType<Equals<Awaited<ReturnType<typeof client.lookupUser>>, UserDetails>>(true)
  assertType<Equals<Awaited<ReturnType<typeof client.unlockMethods>>, UnlockResult>>(true)
  assertType<Equals<Awaited<ReturnType<typeof client.enableToken>>, TokenStatusResult>>(true)
  assertType<
    Equals<Awaited<ReturnType<typeof client.enableEmergencyTokencode>>, EmergencyTokencode>
  >(true)
  const user = await client.lookupUser({ email: 'jane@example.com' })
  assertType<Equals<typeof user.emergencyTokencodeId, string | null>>(true)
  assertType<Equals<typeof user.userStatus, 'Enabled' | 'Disabled'>>(true)
  assertType<Equals<TokendeskApiError['status'], number>>(true)

  // Right shapes compile.
  await client.enableEmergencyTokencode(id, { expirationDays: '7' })
  await client.enableEmergencyTokencode(id, { expirationDays: 2 })
  await client.enableEmergencyTokencode(id)
  await client.enableEmergencyTokencodeV2(id, { expiryUnit: 'hours', expiryValue: 4 })
  await client.enableEmergencyTokencodeV2(id, { oneTimeUse: true })
  await client.unlockMethods(id, { unlockMethods: ['TOKEN', 'SMS'] })
  await client.enableToken(id, { tokenSerialNumber: '000123456789' })
  await client.lookupUser({ email: 'jane@example.com' }, { signal: AbortSignal.timeout(1000) })

  // Wrong shapes do not.
  // @ts-expect-error the lookup field is `email`
  await client.lookupUser({ emailAddress: 'jane@example.com' })
  // @ts-expect-error unknown property
  await client.lookupUser({ email: 'jane@example.com', extra: true })
  // @ts-expect-error expirationDays is a string or a number
  await client.enableEmergencyTokencode(id, { expirationDays: true })
  // @ts-expect-error the v1 body has no expiryUnit
  await client.enableEmergencyTokencode(id, { expiryUnit: 'days' })
  // @ts-expect-error expiryUnit without expiryValue
  await client.enableEmergencyTokencodeV2(id, { expiryUnit: 'days' })
  // @ts-expect-error not a unit
  await client.enableEmergencyTokencodeV2(id, { expiryUnit: 'weeks', expiryValue: 1 })
  // @ts-expect-error unlockMethods must not be empty
  await client.unlockMethods(id, { unlockMethods: [] })
  // @ts-expect-error not a method
  await client.unlockMethods(id, { unlockMethods: ['PASSWORD'] })
  // @ts-expect-error the body is an object, not a list
  await client.unlockMethods(id, ['TOKEN'])
  // @ts-expect-error the serial is a string (leading zeros are significant)
  await client.enableToken(id, { tokenSerialNumber: 123456789 })
  // @ts-expect-error the serial is required
  await client.enableToken(id, {})
  // @ts-expect-error userStatus is Enabled or Disabled
  await client.setUserStatus(id, { userStatus: 'Locked' })
  // @ts-expect-error a role is SUPER_ADMIN or HELP_DESK_ADMIN
  await client.createApiKey({ role: 'ROOT' })
  // @ts-expect-error settings are a merge of the documented groups only
  await client.updateCompanySettings({ lockout: { maxFailedAttempts: '5' } })
  // @ts-expect-error retry options are an object or false
  createClient({ keyFile, retry: true })
}
