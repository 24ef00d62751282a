import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import type { Clock, KeyPairGenerator, Random } from '@tokendesk/core'

const generateKeyPairAsync = promisify(generateKeyPair)

/** The real clock, randomness and key generation behind core's ports. */
export const systemClock: Clock = { now: () => Date.now() }

export const cryptoRandom: Random = {
  bytes: (length) => new Uint8Array(randomBytes(length)),
  uuid: () => randomUUID(),
}

export const rsaKeyPairs: KeyPairGenerator = {
  async generateRsaKeyPair() {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    })
    return { publicKeyPem: publicKey, privateKeyPem: privateKey }
  },
}
