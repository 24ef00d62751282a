import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { OutOfBandSender } from '@tokendesk/core'

/**
 * File delivery of SMS and voice codes (authn-api.md "SMS and voice delivery"): one JSON line per
 * message appended to the outbox, created with mode 0600. For development and the embedded quick
 * start; the code is in the file (it is the message), never in the log.
 */
export const createFileSender = (path: string): OutOfBandSender => ({
  async send(message) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    const line = JSON.stringify({
      channel: message.channel,
      to: message.to,
      message: message.message,
      userId: message.userId,
      companyId: message.companyId,
      expiresAt: new Date(message.expiresAt).toISOString(),
    })
    await appendFile(path, `${line}\n`, { mode: 0o600 })
  },
})
