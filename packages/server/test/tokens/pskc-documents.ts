import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

/** PSKC (RFC 6030) documents for the import tests: plain seeds, or encrypted ones with a MAC. */

export const NS = 'urn:ietf:params:xml:ns:keyprov:pskc'

const keyPackage = (serial: string, secretXml: string, period = 60, digits = 6) => `
  <KeyPackage>
    <DeviceInfo><Manufacturer>Acme Tokens</Manufacturer><SerialNo>${serial}</SerialNo></DeviceInfo>
    <Key Id="k-${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><ResponseFormat Length="${digits}" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret>${secretXml}</Secret>
        <TimeInterval><PlainValue>${period}</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>`

/** RFC 6030 Figure 2 style: the seeds in clear, one key package per token. */
export const plainPskcOf = (tokens: ReadonlyArray<{ serial: string; seed: Buffer }>) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a test -->
<KeyContainer Version="1.0" xmlns="${NS}">${tokens
    .map(({ serial, seed }) =>
      keyPackage(serial, `<PlainValue>${seed.toString('base64')}</PlainValue>`),
    )
    .join('')}
</KeyContainer>`

/** One token, its seed in clear. */
export const plainPskc = (serial: string, seed: Buffer) => plainPskcOf([{ serial, seed }])

const encrypt = (key: Buffer, plain: Buffer): Buffer => {
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-128-cbc', key, iv)
  return Buffer.concat([iv, cipher.update(plain), cipher.final()])
}

/** RFC 6030 §6.1/§6.2 style: AES-128-CBC seeds with an HMAC-SHA1 ValueMAC. */
export const encryptedPskc = (
  serial: string,
  seed: Buffer,
  mode: { password: string } | { preSharedKey: Buffer },
  tamper = false,
) => {
  const salt = randomBytes(16)
  const key =
    'password' in mode ? pbkdf2Sync(mode.password, salt, 1000, 16, 'sha1') : mode.preSharedKey
  const macKey = randomBytes(20)
  const cipherValue = encrypt(key, seed)
  const mac = createHmac('sha1', macKey).update(cipherValue).digest()
  if (tamper) mac[0] = (mac[0] as number) ^ 1
  const encryptionKey =
    'password' in mode
      ? `<EncryptionKey><DerivedKey>
           <KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2">
             <pkcs5:PBKDF2-params xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#">
               <Salt><Specified>${salt.toString('base64')}</Specified></Salt>
               <IterationCount>1000</IterationCount><KeyLength>16</KeyLength><PRF/>
             </pkcs5:PBKDF2-params>
           </KeyDerivationMethod>
         </DerivedKey></EncryptionKey>`
      : '<EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>'
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="${NS}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
  ${encryptionKey}
  <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
    <MACKey>
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <xenc:CipherData><xenc:CipherValue>${encrypt(key, macKey).toString('base64')}</xenc:CipherValue></xenc:CipherData>
    </MACKey>
  </MACMethod>${keyPackage(
    serial,
    `<EncryptedValue>
        <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
        <xenc:CipherData><xenc:CipherValue>${cipherValue.toString('base64')}</xenc:CipherValue></xenc:CipherData>
      </EncryptedValue>
      <ValueMAC>${mac.toString('base64')}</ValueMAC>`,
  )}
</KeyContainer>`
}
