import { describe, expect, it } from 'vitest'
import { ValidationProblem } from '../errors.js'
import { readWebhookUrl } from './webhook-url.js'

const accept = {}
const issueOf = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem)
    return (error as ValidationProblem).toBody().detail[0]
  }
  throw new Error('expected a 422')
}

describe('readWebhookUrl', () => {
  it('reads webhook_url from the body or ?fal_webhook=, and the same URL from both', () => {
    const url = 'https://hooks.example.com/genimage?token=abc'
    expect(readWebhookUrl({ webhook_url: url }, undefined, 'queue', accept)).toBe(url)
    expect(readWebhookUrl({}, url, 'queue', accept)).toBe(url)
    expect(readWebhookUrl({ webhook_url: url }, url, 'queue', accept)).toBe(url)
    expect(readWebhookUrl({ prompt: 'a fox' }, undefined, 'queue', undefined)).toBeUndefined()
  })

  it('refuses two different URLs', () => {
    expect(
      issueOf(() => readWebhookUrl({ webhook_url: 'https://a.example' }, 'https://b.example', 'queue', accept)),
    ).toMatchObject({ loc: ['query', 'fal_webhook'], msg: expect.stringMatching(/differ/) })
  })

  it('refuses a webhook on POST /generate', () => {
    expect(
      issueOf(() => readWebhookUrl({ webhook_url: 'https://a.example' }, undefined, 'generate', accept)),
    ).toMatchObject({ loc: ['body', 'webhook_url'], msg: expect.stringMatching(/only by POST \/queue\/generate/) })
  })

  it.each([
    ['ftp://example.com/hook', 'url_scheme'],
    ['javascript:alert(1)', 'url_scheme'],
    ['not-a-url', 'url_parsing'],
    ['https://example.com/hook with space', 'string_pattern_mismatch'],
    ['https://exämple.com/hook', 'string_pattern_mismatch'],
    ['https://example.com/\u0000', 'string_pattern_mismatch'],
    ['https://user:pass@example.com/hook', 'value_error'],
    [`https://example.com/${'a'.repeat(2048)}`, 'string_too_long'],
  ])('refuses %s (%s)', (url, type) => {
    expect(issueOf(() => readWebhookUrl({}, url, 'queue', accept))).toMatchObject({
      loc: ['query', 'fal_webhook'],
      type,
    })
  })

  it('refuses every webhook when the server has none configured', () => {
    expect(issueOf(() => readWebhookUrl({ webhook_url: 'https://a.example' }, undefined, 'queue', undefined))).toEqual({
      loc: ['body', 'webhook_url'],
      msg: 'webhooks are not configured on this server',
      type: 'value_error',
    })
  })

  it("answers the host's refusal", () => {
    const check = (url: URL) => (url.hostname === 'localhost' ? 'localhost is not an allowed webhook host' : undefined)
    expect(readWebhookUrl({}, 'https://example.com', 'queue', { check })).toBe('https://example.com')
    expect(issueOf(() => readWebhookUrl({}, 'http://localhost:9/x', 'queue', { check }))).toMatchObject({
      msg: 'localhost is not an allowed webhook host',
    })
  })
})
