import type { TotpAuthenticatorRepository } from '@tokendesk/core'
import { prepared } from '../prepared.js'
import type { RepositoryContext } from './context.js'

type UserKey = { companyId: string; userId: string }

const findAuthenticator = prepared((db, key: UserKey) =>
  db
    .selectFrom('totp_authenticators')
    .selectAll()
    .where('company_id', '=', key.companyId)
    .where('user_id', '=', key.userId),
)

/** The condition is the replay check: of two uses of one step, one changes the row. */
const claimStep = prepared((db, use: UserKey & { step: number }) =>
  db
    .updateTable('totp_authenticators')
    .set({ last_used_step: use.step })
    .where('company_id', '=', use.companyId)
    .where('user_id', '=', use.userId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', use.step)])),
)

export const totpAuthenticatorRepository = (
  context: RepositoryContext,
): TotpAuthenticatorRepository => {
  const { db } = context
  return {
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
      const row = await findAuthenticator.first(context, { companyId, userId })
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

    useStep: async (companyId, userId, step) =>
      (await claimStep.affected(context, { companyId, userId, step })) === 1,
  }
}
