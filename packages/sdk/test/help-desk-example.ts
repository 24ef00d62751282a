import { createClient, TokendeskApiError, type TokendeskClient } from '@tokendesk/client'

/**
 * A user calls the help desk: locked out, and their hardware token was never enabled. Look
 * them up by email, unlock Authenticate OTP (TOKEN) and SMS, issue a 2-day emergency access
 * code to read out to them, and enable their token.
 */
export const unblock = async (client: TokendeskClient, email: string, serial: string) => {
  // 1. Every call takes the user's id: User Details finds it by email.
  const user = await client.lookupUser({ email })

  // 2. Unlock TOKEN and SMS; the answer is the state of every documented method.
  const locks = await client.unlockMethods(user.id, { unlockMethods: ['TOKEN', 'SMS'] })

  // 3. An emergency access code valid for 2 days. It is in this answer only: read it out now.
  const eac = await client.enableEmergencyTokencode(user.id, { expirationDays: 2 })

  // 4. Enable the hardware token assigned to the user.
  const token = await client.enableToken(user.id, { tokenSerialNumber: serial })

  return { user, locks, eac, token }
}

export const main = async (email: string, serial: string): Promise<number> => {
  // The key file from the console (or `tokendesk apikey create`); requests go to its
  // adminRestApiUrl, signed with its private key.
  const client = createClient({ keyFile: process.env.TOKENDESK_KEY_FILE ?? './helpdesk.key' })
  try {
    const { user, locks, eac, token } = await unblock(client, email, serial)
    console.log(
      `${user.emailAddress}: TOKEN locked ${locks.isTokenLocked}, SMS locked ${locks.isSmsLocked}`,
    )
    console.log(`emergency code ${eac.emergencyTokencode}, valid until ${eac.expirationDate}`)
    console.log(`token ${token.tokenSerialNumber}: ${token.tokenStatus}`)
    return 0
  } catch (error) {
    if (!(error instanceof TokendeskApiError)) throw error
    // e.g. 404 NOT_FOUND: User jane@example.com not found
    console.error(`${error.code}: ${error.description}`)
    return 1
  }
}
