/** Administration API key roles (admin-api.md §4). */
export const ROLES = ['SUPER_ADMIN', 'HELP_DESK_ADMIN'] as const
export type Role = (typeof ROLES)[number]

/**
 * What a route needs: `helpdesk` routes are open to both roles; `superadmin` routes
 * (token import and delete, user management, company settings, keys) to SUPER_ADMIN only.
 */
export type Permission = 'helpdesk' | 'superadmin'

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value)

export const roleAllows = (role: Role, permission: Permission): boolean =>
  permission === 'helpdesk' || role === 'SUPER_ADMIN'
