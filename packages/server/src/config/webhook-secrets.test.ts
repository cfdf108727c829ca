import { describe, expect, it } from 'vitest'
import { webhookSecrets } from './webhook-secrets.js'

describe('WEBHOOK_SECRETS', () => {
  const type = webhookSecrets()
  const context = { cwd: '/' }

  it('takes whsec_ secrets and raw strings, comma-separated, blanks dropped', () => {
    expect(type.parse(' whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw , a-raw-secret-of-22-bytes,', context)).toEqual([
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'a-raw-secret-of-22-bytes',
    ])
  })

  it('refuses a whsec_ secret that is not base64 and a secret shorter than 16 bytes', () => {
    expect(() => type.parse('whsec_not!base64', context)).toThrow(/base64/)
    expect(() => type.parse('whsec_c2hvcnQ=', context)).toThrow(/secret 1 is shorter than 16 bytes/)
    expect(() => type.parse('long-enough-secret-1,short', context)).toThrow(/secret 2 is shorter/)
  })
})
