import { loadConfig } from '@tokendesk/server'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'

const capture = (env: Record<string, string> = {}) => {
  const lines: string[] = []
  const logger = createLogger(loadConfig({ env }), { write: (line: string) => lines.push(line) })
  return { logger, lines }
}

describe('createLogger', () => {
  it('redacts credentials, private keys, codes and secrets wherever they appear', () => {
    const { logger, lines } = capture()
    logger.info(
      {
        req: {
          method: 'GET',
          headers: { authorization: 'Bearer eyJhbGciOi', 'x-api-key': 'eyJraWQi', host: 'h' },
        },
        file: { accessID: 'a1', accessKey: '-----BEGIN RSA PRIVATE KEY-----\n...' },
        body: { emergencyTokencode: '12345678', userId: 'u1' },
        box: { secret: 'c2VjcmV0' },
      },
      'request',
    )
    const line = lines.join('')
    for (const secret of ['eyJhbGciOi', 'eyJraWQi', 'PRIVATE KEY', '12345678', 'c2VjcmV0']) {
      expect(line).not.toContain(secret)
    }
    const logged = JSON.parse(line)
    expect(logged.req.headers).toEqual({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      host: 'h',
    })
    expect(logged.file).toEqual({ accessID: 'a1', accessKey: '[redacted]' })
    expect(logged.body).toEqual({ emergencyTokencode: '[redacted]', userId: 'u1' })
  })

  it('logs at TOKENDESK_LOG_LEVEL', () => {
    const { logger, lines } = capture({ TOKENDESK_LOG_LEVEL: 'warn' })
    logger.info('hidden')
    logger.warn('shown')
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['shown'])
  })
})
