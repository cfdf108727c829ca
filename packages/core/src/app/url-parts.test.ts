import { describe, expect, it } from 'vitest'
import { urlParts } from './url-parts.js'

describe('urlParts', () => {
  it.each([
    'http://localhost/generate',
    'http://localhost:8787/v1/generate?fal_webhook=https%3A%2F%2Fa.example%2F@x',
    'https://API.Example.com:443/files/a.png',
    'http://example.com:80/',
    'http://@example.com/x',
    'http://[::1]:8787/health',
    'https://bücher.example/queue/generate#frag',
    'http://127.0.0.1/ready',
  ])('reads the host and origin URL gives, from the serialised %s', (input) => {
    const url = new Request(input).url
    const parsed = new URL(url)
    expect(urlParts(url)).toEqual({ host: parsed.host, origin: parsed.origin })
  })

  it('parses what is not an absolute http(s) URL', () => {
    expect(urlParts('file:///tmp/x')).toEqual({ host: '', origin: 'null' })
  })
})
