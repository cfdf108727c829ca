import { describe, expect, it } from 'vitest'
import { MemoryJobQueue } from '../queue/memory/memory-job-queue.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { createSyntheticBackend } from '../synthetic/synthetic-backend.js'
import { MAX_JSON_DEPTH } from '../validation/generate-request.js'
import { createApp } from './create-app.js'
import { fingerprint } from './request-body.js'

/** The app as the server and the mocks build it, with an instant synthetic backend. */
const store = new MemoryImageStore()
const app = createApp({ queue: new MemoryJobQueue({ backend: createSyntheticBackend(), store }), store })

const post = (path: string, body: string, contentType = 'application/json') =>
  app.request(path, { method: 'POST', headers: { 'content-type': contentType }, body })

const deeplyNested = (depth: number) => `{"prompt":"x","a":${'['.repeat(depth)}${']'.repeat(depth)}}`

describe.each(['/generate', '/queue/generate'])('POST %s', (path) => {
  it('answers 400 naming the limit, not 500, for JSON nested 30,000 deep', async () => {
    const response = await post(path, deeplyNested(30_000))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      detail: `JSON body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`,
    })
  })

  it('answers a small 422 for an extra field holding a deep but allowed value', async () => {
    const response = await post(path, deeplyNested(MAX_JSON_DEPTH - 2))
    expect(response.status).toBe(422)
    const text = await response.text()
    expect(text.length).toBeLessThan(400)
    expect(JSON.parse(text).detail).toEqual([
      { loc: ['body', 'a'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: [['[…]']] },
    ])
  })

  it.each([
    ['NUL', '\u0000'],
    ['zero-width space', '\u200B\u200B'],
    ['whitespace and controls', ' \t\n\u0007\u3000'],
  ])('answers 422 naming prompt for a prompt of only %s', async (_, prompt) => {
    const response = await post(path, JSON.stringify({ prompt }))
    expect(response.status).toBe(422)
    const { detail } = await response.json()
    expect(detail).toMatchObject([{ loc: ['body', 'prompt'], type: 'string_pattern_mismatch', input: prompt }])
  })

  it.each(['utf-16', 'UTF-16LE', '"iso-8859-1"'])('answers 415 for a body declared charset=%s', async (charset) => {
    const response = await post(path, JSON.stringify({ prompt: 'a fox' }), `application/json; charset=${charset}`)
    expect(response.status).toBe(415)
    expect((await response.json()).detail).toBe(
      `JSON bodies must be UTF-8 (got charset '${charset.replaceAll('"', '').toLowerCase()}')`,
    )
  })

  it.each(['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8'])(
    'accepts emoji and CJK sent as %s',
    async (contentType) => {
      const response = await post(
        path,
        JSON.stringify({ prompt: '🦊 雪の中の狐', num_inference_steps: 1 }),
        contentType,
      )
      expect(response.status).toBeLessThan(300)
    },
  )

  it('answers 400 for a body that is not UTF-8, and still reads the next one, split in chunks or not', async () => {
    const invalid = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
    })
    expect(invalid.status).toBe(400)
    expect((await invalid.json()).detail).toBe('Request body is not valid UTF-8')
    // A multi-byte character split across two chunks, after a BOM, which UTF-8 decoding drops.
    const text = new TextEncoder().encode('\uFEFF{"prompt":"雪の中の狐","num_inference_steps":1}')
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(text.subarray(0, 16))
        controller.enqueue(text.subarray(16))
        controller.close()
      },
    })
    for (const body of [chunked, text]) {
      const response = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit)
      expect(response.status).toBeLessThan(300)
    }
  })
})

describe('fingerprint', () => {
  /** The first version's canonical form, which fingerprints already stored (a Redis ledger) were made with. */
  const firstVersion = (route: string, body: unknown): string => {
    const canonical = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(canonical)
      if (value && typeof value === 'object') {
        return Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
        )
      }
      return value
    }
    return `${route}:${JSON.stringify(canonical(body))}`
  }
  const bodies = [
    '{"prompt":"a fox","width":512,"height":512}',
    '{"width":512,"prompt":"a fox","height":512}',
    '{"b":{"z":1,"a":[{"y":2,"x":1},3,null]},"a":"é\\u2028\\"","10":1,"9":2,"":0}',
    '{"__proto__":{"x":1},"prompt":"p"}',
    '{"constructor":1,"toString":"s","prompt":"p"}',
    '[3,{"b":1,"a":2}]',
    '"just a string"',
    '12.5e3',
    'null',
  ]

  it.each(bodies)('is the same string as the first version gave for %s', (text) => {
    const body: unknown = JSON.parse(text)
    expect(fingerprint('generate', body)).toBe(firstVersion('generate', body))
  })

  it('does not depend on key order, nested included, but on array order and the route', () => {
    const a = JSON.parse('{"p":"x","n":{"b":1,"a":2},"l":[1,2]}')
    const b = JSON.parse('{"n":{"a":2,"b":1},"l":[1,2],"p":"x"}')
    expect(fingerprint('generate', a)).toBe(fingerprint('generate', b))
    expect(fingerprint('generate', a)).not.toBe(fingerprint('generate', { ...a, l: [2, 1] }))
    expect(fingerprint('generate', a)).not.toBe(fingerprint('queue', a))
  })

  it('counts a __proto__ key as part of the body', () => {
    expect(fingerprint('generate', JSON.parse('{"__proto__":{"x":1},"p":1}'))).not.toBe(
      fingerprint('generate', JSON.parse('{"__proto__":{"x":2},"p":1}')),
    )
  })
})
