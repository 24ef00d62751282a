import { SYSTEM_ACTOR } from './audit.js'
import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError } from './errors.js'
import {
  type CompanySettings,
  type CompanySettingsPatch,
  DEFAULT_SETTINGS,
  mergeSettings,
} from './settings.js'
import type { Company } from './store.js'

/** Companies (tenants) and their settings. */
export const createCompanyService = (deps: Pick<Deps, 'store' | 'clock' | 'random'>) => {
  const { store, clock, random } = deps

  const require = async (companyId: string): Promise<Company> => {
    const company = await store.read.companies.findById(companyId)
    if (!company) throw new DomainError('COMPANY_NOT_FOUND')
    return company
  }

  return {
    async create(
      name: string,
      actor: OperationContext['actor'] = { ...SYSTEM_ACTOR, type: 'cli' },
    ): Promise<Company> {
      const trimmed = name.trim()
      if (trimmed.length < 1 || trimmed.length > 200) {
        throw new DomainError('VALIDATION_FAILED', {
          message: 'A company name is 1–200 characters.',
        })
      }
      const now = clock.now()
      const company: Company = {
        id: random.uuid(),
        name: trimmed,
        settings: DEFAULT_SETTINGS,
        createdAt: now,
      }
      await store.transaction(async (tx) => {
        await tx.companies.insert(company)
        await audit(tx, { companyId: company.id, actor, requestId: null, sourceIp: null }, now, {
          action: 'company.created',
          targetType: 'company',
          targetId: company.id,
        })
      })
      return company
    },

    findByName: (name: string) => store.read.companies.findByName(name),
    require,

    async getSettings(ctx: OperationContext): Promise<CompanySettings> {
      return (await require(ctx.companyId)).settings
    },

    async updateSettings(
      ctx: OperationContext,
      patch: CompanySettingsPatch,
    ): Promise<CompanySettings> {
      return store.transaction(async (tx) => {
        const company = await tx.companies.findById(ctx.companyId)
        if (!company) throw new DomainError('COMPANY_NOT_FOUND')
        const settings = mergeSettings(company.settings, patch)
        const now = clock.now()
        await tx.companies.updateSettings(company.id, settings)
        await audit(tx, ctx, now, {
          action: 'company.settings_updated',
          targetType: 'company',
          targetId: company.id,
          details: { patch },
        })
        return settings
      })
    },
  }
}

export type CompanyService = ReturnType<typeof createCompanyService>
