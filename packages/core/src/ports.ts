/**
 * Ports: what the domain needs from the outside world, and nothing more. Time, randomness,
 * secrets and key generation come in here so that the domain stays deterministic under test.
 */

/** Wall-clock time in epoch milliseconds. */
export interface Clock {
  now(): number
}

/** A cryptographically secure source of randomness. */
export interface Random {
  bytes(length: number): Uint8Array
  /** A random (v4) lowercase UUID. */
  uuid(): string
}

/**
 * Server-side secrets: keyed hashes for codes that must be checked but never stored, and
 * authenticated encryption for seeds that must be stored but never readable at rest.
 */
export interface SecretBox {
  /** HMAC-SHA-256 under the server secret, domain-separated by `purpose`; hex encoded. */
  hash(purpose: string, value: string): string
  /** AES-256-GCM; `aad` binds the ciphertext to where it is stored. */
  encrypt(plaintext: Uint8Array, aad: string): Uint8Array
  decrypt(ciphertext: Uint8Array, aad: string): Uint8Array
}

export interface RsaKeyPair {
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem: string
  /** PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), the format of RSA's key files. */
  privateKeyPem: string
}

export interface KeyPairGenerator {
  generateRsaKeyPair(): Promise<RsaKeyPair>
}
