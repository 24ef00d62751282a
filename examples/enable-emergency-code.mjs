#!/usr/bin/env node
// Walk-through client for tokendesk (or RSA's Cloud Administration API): creates a user and
// enables an emergency tokencode for them, using nothing but a key file and Node's standard
// library, exactly as an outside script would.
//
//   node examples/enable-emergency-code.mjs <key file> [email]
import { createPrivateKey, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'

const [keyFilePath, email = `jane.doe.${Date.now()}@example.com`] = process.argv.slice(2)
if (!keyFilePath) {
  console.error('usage: node examples/enable-emergency-code.mjs <key file> [email]')
  process.exit(2)
}
const keyFile = JSON.parse(readFileSync(keyFilePath, 'utf8'))
const baseUrl = keyFile.adminRestApiUrl.replace(/\/+$/, '')

// An RS256 JWT signed with the key file's private key: sub = accessID, aud = adminRestApiUrl.
const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = () => {
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64url({ typ: 'JWT', alg: 'RS256' })}.${b64url({
    sub: keyFile.accessID,
    iat: now,
    exp: now + 300,
    aud: keyFile.adminRestApiUrl,
  })}`
  const signature = sign('sha256', Buffer.from(input), createPrivateKey(keyFile.accessKey))
  return `${input}.${signature.toString('base64url')}`
}

const call = async (method, path, body) => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${jwt()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = await response.json()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

const user = await call('POST', '/v1/users', { emailAddress: email, firstName: 'Jane' })
const found = await call('POST', '/v1/users/lookup', { email })
const eac = await call('PUT', `/v1/users/${found.id}/emergencyTokencode`, { expirationDays: '2' })
console.log(JSON.stringify({ userId: user.id, email, ...eac }, null, 2))
