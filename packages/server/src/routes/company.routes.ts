import type { CompanySettingsPatch, Services } from '@tokendesk/core'
import { type App, contextOf } from '../http/types.js'
import { ErrorBody, SettingsPatchBody, SettingsResponse } from '../schemas.js'

/** [ext] Company settings (admin-api.md §10). `onChange` lets caches drop the old values. */
export const companyRoutes = (
  app: App,
  services: Services,
  onChange: (companyId: string) => void,
): void => {
  const schema = {
    tags: ['Company'],
    response: { 200: SettingsResponse, 403: ErrorBody, 429: ErrorBody },
  }

  app.get(
    '/v1/company/settings',
    {
      config: { permission: 'superadmin' },
      schema: { ...schema, summary: '[ext] Read company settings' },
    },
    async (request) => services.companies.getSettings(contextOf(request)),
  )

  app.put(
    '/v1/company/settings',
    {
      config: { permission: 'superadmin' },
      schema: {
        ...schema,
        summary: '[ext] Change company settings (a merge)',
        body: SettingsPatchBody,
        response: { ...schema.response, 400: ErrorBody },
      },
    },
    async (request) => {
      const ctx = contextOf(request)
      const settings = await services.companies.updateSettings(
        ctx,
        request.body as CompanySettingsPatch,
      )
      onChange(ctx.companyId)
      return settings
    },
  )
}
