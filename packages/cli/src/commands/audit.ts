import type { ChainReport } from '@tokendesk/core'
import { companyNamed, loadCliConfig, withRuntime } from '../local.js'
import { out } from '../output.js'
import { CliError, parse, UsageError } from '../usage.js'

/**
 * `tokendesk audit verify [--company NAME]`: checks the audit hash chains (docs/events.md,
 * "Tamper evidence") of one company or of all, prints one line per chain, and fails (exit 1)
 * naming the first break: the event, and the expected and stored hashes.
 */
const events = (n: number): string => `${n} event${n === 1 ? '' : 's'}`

export const audit = async (args: readonly string[]): Promise<void> => {
  const [action, ...rest] = args
  if (action !== 'verify') {
    throw new UsageError(action ? `unknown command 'audit ${action}'` : 'audit: missing command')
  }
  const { values } = parse(rest, { company: { type: 'string' }, config: { type: 'string' } })
  if (values.company === '') throw new UsageError('--company needs a name')
  const config = loadCliConfig(values.config)
  await withRuntime(config, async (runtime) => {
    const only =
      values.company === undefined ? undefined : await companyNamed(runtime, values.company)
    const reports = await runtime.services.audit.verify(only?.id)
    const names = new Map<string, string>()
    const nameOf = async (companyId: string): Promise<string> => {
      if (!names.has(companyId)) {
        const company = await runtime.store.read.companies.findById(companyId)
        names.set(companyId, company ? company.name : companyId)
      }
      return names.get(companyId) ?? companyId
    }
    let broken: { report: ChainReport; name: string } | undefined
    for (const report of reports) {
      const name = await nameOf(report.companyId)
      if (report.break) {
        broken ??= { report, name }
        out(`${name} ${report.kind}: BROKEN after ${events(report.events)} intact`)
        continue
      }
      const span = report.firstId === null ? '' : ` (events ${report.firstId}–${report.lastId})`
      out(`${name} ${report.kind}: ok, ${events(report.events)}${span}`)
    }
    if (reports.length === 0) out('no audit events')
    if (broken?.report.break) {
      throw new CliError(
        `audit chain broken: company ${broken.name} (${broken.report.kind}): ${broken.report.break.message}`,
      )
    }
  })
}
