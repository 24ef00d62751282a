import type { TotpAuthenticatorRepository } from '@tokendesk/core'
import type { RepositoryContext } from './context.js'
import { rowCount } from './context.js'

export const totpAuthenticatorRepository = ({
  db,
}: RepositoryContext): TotpAuthenticatorRepository => ({
  async replace(authenticator) {
    const values = {
      id: authenticator.id,
      company_id: authenticator.companyId,
      user_id: authenticator.userId,
      seed_ciphertext: authenticator.seedCiphertext,
      last_used_step: authenticator.lastUsedStep,
      created_at: authenticator.createdAt,
    }
    await db
      .insertInto('totp_authenticators')
      .values(values)
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          id: values.id,
          seed_ciphertext: values.seed_ciphertext,
          last_used_step: values.last_used_step,
          created_at: values.created_at,
        }),
      )
      .execute()
  },

  async find(companyId, userId) {
    const row = await db
      .selectFrom('totp_authenticators')
      .selectAll()
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return (
      row && {
        id: row.id,
        companyId: row.company_id,
        userId: row.user_id,
        createdAt: row.created_at,
        lastUsedStep: row.last_used_step,
        seedCiphertext: new Uint8Array(row.seed_ciphertext),
      }
    )
  },

  async useStep(companyId, userId, step) {
    // The condition is the replay check: of two uses of one step, one changes the row.
    const result = await db
      .updateTable('totp_authenticators')
      .set({ last_used_step: step })
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .executeTakeFirst()
    return rowCount(result) === 1
  },
})
