import {
  createClient,
  type EmergencyTokencodeDisabled,
  type KeyFile,
  type LockableMethod,
  readKeyFile,
  type TokendeskClient,
  type TokenStatusResult,
  type UserDetails,
} from '@tokendesk/client'
import { out } from '../output.js'
import { CliError, parse, UsageError } from '../usage.js'

/**
 * `tokendesk remote --key FILE …` (operations.md): help-desk calls through the typed client
 * against a running server, addressed by the key file's `adminRestApiUrl`. Users are named by
 * email and resolved with `POST /v1/users/lookup`, so the commands work against any server that
 * speaks the documented API. Human-readable `name: value` lines by default, the API's JSON with
 * `--json`.
 */
export const remote = async (args: readonly string[]): Promise<void> => {
  const { values, positionals } = parse(
    args,
    {
      key: { type: 'string' },
      json: { type: 'boolean' },
      days: { type: 'string' },
      methods: { type: 'string' },
    },
    4,
  )
  const [group, action, ...operands] = positionals
  if (group === undefined) throw new UsageError('remote: missing command')
  // `unlock EMAIL` is the one command without an action word.
  if (group === 'unlock') return run(UNLOCK, positionals.slice(1), values)
  const name = `${group} ${action ?? ''}`.trim()
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!command) throw new UsageError(`unknown command 'remote ${name}'`)
  return run(command, operands, values)
}

interface Values {
  key?: string | undefined
  json?: boolean | undefined
  days?: string | undefined
  methods?: string | undefined
}

interface Command {
  /** Operand names, in order, for usage messages. */
  operands: readonly string[]
  /** Flags the command takes besides --key and --json. */
  flags: readonly ('days' | 'methods')[]
  run(client: TokendeskClient, operands: readonly string[], values: Values): Promise<void>
}

const run = async (command: Command, operands: readonly string[], values: Values) => {
  const missing = command.operands[operands.length]
  if (missing !== undefined) throw new UsageError(`${missing} is required`)
  const extra = operands[command.operands.length]
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`)
  for (const flag of ['days', 'methods'] as const) {
    if (values[flag] !== undefined && !command.flags.includes(flag)) {
      throw new UsageError(`--${flag} does not apply to this command`)
    }
  }
  const days = values.days === undefined ? undefined : parseDays(values.days)
  const methods = values.methods === undefined ? undefined : parseMethods(values.methods)
  const client = createClient({ keyFile: await keyFileOf(values.key) })
  try {
    await command.run(client, operands, {
      ...values,
      ...(days && { days }),
      ...(methods && { methods }),
    })
  } catch (error) {
    throw unreachable(error)
  }
}

/** The key file from `--key`, else `TOKENDESK_KEY_FILE`; unreadable or invalid: exit 1. */
const keyFileOf = async (flag: string | undefined): Promise<KeyFile> => {
  const path = flag ?? process.env.TOKENDESK_KEY_FILE
  if (path === undefined || path === '') {
    throw new UsageError('--key FILE is required (or set TOKENDESK_KEY_FILE)')
  }
  try {
    return await readKeyFile(path)
  } catch (error) {
    throw new CliError((error as Error).message)
  }
}

/** `fetch` says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND…) is what helps. */
const unreachable = (error: unknown): unknown => {
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause as NodeJS.ErrnoException | undefined
    return new CliError(
      `cannot reach the server (${cause?.code ?? cause?.message ?? 'network error'})`,
    )
  }
  return error
}

const parseDays = (value: string): string => {
  if (!/^[1-7]$/.test(value)) throw new UsageError('--days must be a whole number from 1 to 7')
  return value
}

const DOCUMENTED_METHODS = ['TOKEN', 'SMS', 'VOICE'] as const
const METHODS: readonly LockableMethod[] = [...DOCUMENTED_METHODS, 'SECURID', 'EMERGENCY_TOKENCODE']

const parseMethods = (value: string): string => {
  const names = value.split(',').map((name) => name.trim().toUpperCase())
  for (const name of names) {
    if (!METHODS.includes(name as LockableMethod)) {
      throw new UsageError(`--methods takes a comma-separated list of ${METHODS.join(', ')}`)
    }
  }
  if (new Set(names).size !== names.length) throw new UsageError('--methods lists a method twice')
  return names.join(',')
}

const lookup = (client: TokendeskClient, email: string): Promise<UserDetails> =>
  client.lookupUser({ email })

/** `name: value` lines; `null` prints as `-`. */
const lines = (record: Record<string, string | number | boolean | null>): void => {
  for (const [name, value] of Object.entries(record)) out(`${name}: ${value ?? '-'}`)
}

const json = (value: unknown): void => out(JSON.stringify(value, null, 2))

const lockedMethods = (user: UserDetails): string => {
  const locked = [
    user.isTokenLocked && 'TOKEN',
    user.isSmsLocked && 'SMS',
    user.isVoiceLocked && 'VOICE',
  ].filter(Boolean)
  return locked.length === 0 ? 'none' : locked.join(', ')
}

const tokenLines = (result: TokenStatusResult): void =>
  lines({
    userId: result.userId,
    tokenSerialNumber: result.tokenSerialNumber,
    tokenStatus: result.tokenStatus,
    tokenStatusChangedBy: result.tokenStatusChangedBy,
    tokenStatusChangedAt: result.tokenStatusChangedAt,
  })

const COMMANDS: Record<string, Command> = {
  'user show': {
    operands: ['EMAIL'],
    flags: [],
    async run(client, [email = ''], values) {
      const user = await lookup(client, email)
      if (values.json) return json(user)
      const name = [user.firstName, user.lastName].filter(Boolean).join(' ')
      lines({
        id: user.id,
        emailAddress: user.emailAddress,
        name: name === '' ? null : name,
        userStatus: user.userStatus,
        lockedMethods: lockedMethods(user),
        emergencyAccessStatus: user.emergencyAccessStatus,
        emergencyTokencodeExpiration: user.emergencyTokencodeExpiration,
        offlineEmergencyAccessStatus: user.offlineEmergencyAccessStatus,
        offlineEmergencyTokencodeExpiration: user.offlineEmergencyTokencodeExpiration,
        smsNumber: user.smsNumber,
        voiceNumber: user.voiceNumber,
      })
    },
  },
  'eac enable': {
    operands: ['EMAIL'],
    flags: ['days'],
    async run(client, [email = ''], values) {
      const user = await lookup(client, email)
      const eac = await client.enableEmergencyTokencode(
        user.id,
        values.days === undefined ? {} : { expirationDays: values.days },
      )
      if (values.json) return json(eac)
      lines({
        emergencyTokencode: eac.emergencyTokencode,
        emergencyTokencodeId: eac.emergencyTokencodeId,
        expirationDate: eac.expirationDate,
        offlineExpirationDate: eac.offlineExpirationDate,
      })
    },
  },
  'eac disable': {
    operands: ['EMAIL'],
    flags: [],
    async run(client, [email = ''], values) {
      const user = await lookup(client, email)
      // The DELETE route needs a code id; with no active code there is nothing to disable
      // online, and the answer is what the route would say (it is idempotent).
      const result: EmergencyTokencodeDisabled =
        user.emergencyTokencodeId === null
          ? {
              userId: user.id,
              emergencyAccessStatus: 'Disabled',
              offlineEmergencyAccessStatus: user.offlineEmergencyAccessStatus,
              offlineEmergencyTokencodeExpiration: user.offlineEmergencyTokencodeExpiration,
            }
          : await client.disableEmergencyTokencode(user.id, user.emergencyTokencodeId)
      if (values.json) return json(result)
      lines({ ...result })
    },
  },
  'token enable': {
    operands: ['EMAIL', 'SERIAL'],
    flags: [],
    async run(client, [email = '', serial = ''], values) {
      const user = await lookup(client, email)
      const result = await client.enableToken(user.id, { tokenSerialNumber: serial })
      if (values.json) return json(result)
      tokenLines(result)
    },
  },
  'token disable': {
    operands: ['EMAIL', 'SERIAL'],
    flags: [],
    async run(client, [email = '', serial = ''], values) {
      const user = await lookup(client, email)
      const result = await client.disableToken(user.id, { tokenSerialNumber: serial })
      if (values.json) return json(result)
      tokenLines(result)
    },
  },
}

const UNLOCK: Command = {
  operands: ['EMAIL'],
  flags: ['methods'],
  async run(client, [email = ''], values) {
    const methods = (values.methods?.split(',') ?? [...DOCUMENTED_METHODS]) as LockableMethod[]
    const user = await lookup(client, email)
    const [first, ...rest] = methods
    const result = await client.unlockMethods(user.id, {
      unlockMethods: [first as LockableMethod, ...rest],
    })
    if (values.json) return json(result)
    lines({ ...result })
  },
}
