import { describe, expect, it } from 'vitest'
import { HttpProblem, ValidationProblem } from '../errors.js'
import { MAX_JSON_DEPTH, MAX_SEED, parseJsonBody, randomSeed, resolveGenerateRequest } from './generate-request.js'

const INVISIBLE_PROMPT =
  'String should contain a visible character, not only whitespace, control or invisible characters'

const issuesOf = (body: unknown) => {
  try {
    resolveGenerateRequest(body)
  } catch (error) {
    if (error instanceof ValidationProblem) return error.issues
    throw error
  }
  throw new Error('expected a validation error')
}

describe('resolveGenerateRequest', () => {
  it('applies the contract defaults and picks a seed', () => {
    const resolved = resolveGenerateRequest({ prompt: 'a fox' }, () => 0.5)
    expect(resolved).toEqual({
      prompt: 'a fox',
      negative_prompt: 'text, watermark, blurry, low quality',
      width: 512,
      height: 512,
      num_inference_steps: 1,
      // With every random draw at 0.5: 2^31 · 2^21 + 2^20, written out so the test does not trust randomSeed itself.
      seed: 4_503_599_628_419_072,
      output_format: 'png',
      sync_mode: false,
      num_images: 1,
    })
  })

  it('keeps every field the caller sent', () => {
    const body = {
      prompt: 'p',
      negative_prompt: '',
      width: 1024,
      height: 256,
      num_inference_steps: 4,
      seed: MAX_SEED,
      output_format: 'webp',
      sync_mode: true,
      num_images: 1,
    }
    expect(resolveGenerateRequest(body)).toEqual(body)
  })

  it.each([
    [{}, ['body', 'prompt'], 'missing', 'Field required'],
    [{ prompt: 3 }, ['body', 'prompt'], 'string_type', 'Input should be a valid string'],
    [{ prompt: '' }, ['body', 'prompt'], 'string_too_short', 'String should have at least 1 character'],
    [{ prompt: '   ' }, ['body', 'prompt'], 'string_pattern_mismatch', INVISIBLE_PROMPT],
    [{ prompt: 'x'.repeat(2001) }, ['body', 'prompt'], 'string_too_long', 'String should have at most 2000 characters'],
    [{ prompt: 'p', width: 513 }, ['body', 'width'], 'multiple_of', 'Input should be a multiple of 8'],
    [
      { prompt: 'p', width: 248 },
      ['body', 'width'],
      'greater_than_equal',
      'Input should be greater than or equal to 256',
    ],
    [
      { prompt: 'p', height: 1032 },
      ['body', 'height'],
      'less_than_equal',
      'Input should be less than or equal to 1024',
    ],
    [{ prompt: 'p', width: '512' }, ['body', 'width'], 'int_type', 'Input should be a valid integer'],
    [
      { prompt: 'p', width: 512.5 },
      ['body', 'width'],
      'int_from_float',
      'Input should be a valid integer, got a number with a fractional part',
    ],
    [
      { prompt: 'p', num_inference_steps: 0 },
      ['body', 'num_inference_steps'],
      'greater_than_equal',
      'Input should be greater than or equal to 1',
    ],
    [
      { prompt: 'p', num_inference_steps: 5 },
      ['body', 'num_inference_steps'],
      'less_than_equal',
      'Input should be less than or equal to 4',
    ],
    [{ prompt: 'p', seed: -1 }, ['body', 'seed'], 'greater_than_equal', 'Input should be greater than or equal to 0'],
    [
      { prompt: 'p', seed: 2 ** 53 },
      ['body', 'seed'],
      'less_than_equal',
      `Input should be less than or equal to ${MAX_SEED}`,
    ],
    [
      { prompt: 'p', output_format: 'gif' },
      ['body', 'output_format'],
      'enum',
      "Input should be 'png', 'jpeg' or 'webp'",
    ],
    [{ prompt: 'p', sync_mode: 'yes' }, ['body', 'sync_mode'], 'bool_type', 'Input should be a valid boolean'],
    [
      { prompt: 'p', num_images: 0 },
      ['body', 'num_images'],
      'greater_than_equal',
      'Input should be greater than or equal to 1',
    ],
    [
      { prompt: 'p', num_images: 5 },
      ['body', 'num_images'],
      'less_than_equal',
      'Input should be less than or equal to 4',
    ],
    [
      { prompt: 'p', num_images: 4, seed: MAX_SEED - 2 },
      ['body', 'seed'],
      'less_than_equal',
      `Input should be less than or equal to ${MAX_SEED - 3} with num_images 4 (image i uses seed + i)`,
    ],
    [
      { prompt: 'p', strength: 0.5 },
      ['body', 'strength'],
      'value_error',
      'strength applies only to image-to-image: send image_url with it, or leave strength out',
    ],
    [
      { prompt: 'p', image_url: 'data:,', strength: 0 },
      ['body', 'strength'],
      'greater_than',
      'Input should be greater than 0',
    ],
    [
      { prompt: 'p', image_url: 'data:,', strength: 1.5 },
      ['body', 'strength'],
      'less_than_equal',
      'Input should be less than or equal to 1',
    ],
    [
      { prompt: 'p', image_url: 'data:,', strength: 0.3, num_inference_steps: 3 },
      ['body', 'strength'],
      'value_error',
      'strength × num_inference_steps must be at least 1 (got 0.3 × 3); raise strength or num_inference_steps',
    ],
    [
      { prompt: 'p', image_url: 'data:,', strength: 0.2 },
      ['body', 'strength'],
      'value_error',
      'strength 0.2 needs more than 4 num_inference_steps (strength × num_inference_steps must be at least 1); use a strength of at least 0.25',
    ],
    [
      { prompt: 'p', image_url: '' },
      ['body', 'image_url'],
      'string_too_short',
      'String should have at least 1 character',
    ],
    [{ prompt: 'p', guidance: 7 }, ['body', 'guidance'], 'extra_forbidden', 'Extra inputs are not permitted'],
    [[], ['body'], 'model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
    [null, ['body'], 'model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
  ])('rejects %j naming the field', (body, loc, type, msg) => {
    const [issue] = issuesOf(body)
    expect(issue).toMatchObject({ loc, type, msg })
  })

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'refuses %s as an unknown field (not a schema of Object.prototype)',
    (name) => {
      const body = JSON.parse(`{"prompt": "p", "${name}": {"polluted": true}}`)
      expect(issuesOf(body)).toEqual([
        expect.objectContaining({
          loc: ['body', name],
          type: 'extra_forbidden',
          msg: 'Extra inputs are not permitted',
        }),
      ])
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    },
  )

  it.each([
    ['NUL', '\u0000'],
    ['NULs and spaces', '\u0000 \u0000\t'],
    ['zero-width space', '\u200B'],
    ['zero-width joiners and a BOM', '\u200C\u200D\uFEFF'],
    ['C0 and C1 controls', '\u0001\u001F\u007F\u0085\u009F'],
    ['Unicode spaces', '\u00A0\u1680\u2000\u2028\u3000'],
    ['soft hyphen, word joiner, bidi marks', '\u00AD\u2060\u200E\u202E'],
    ['variation selectors and Hangul filler', '\uFE0F\u3164\uFFA0'],
  ])('refuses a prompt of only %s', (_, prompt) => {
    expect(issuesOf({ prompt })[0]).toMatchObject({ loc: ['body', 'prompt'], type: 'string_pattern_mismatch' })
  })

  it.each([
    ['emoji', '🦊 in the snow'],
    ['an emoji ZWJ sequence', '👩\u200D🚀'],
    ['CJK', '雪の中の狐'],
    ['a visible character among invisible ones', '\u200B\u0000x\u00A0'],
    ['a combining mark', '\u0301'],
  ])('accepts a prompt with %s', (_, prompt) => {
    expect(resolveGenerateRequest({ prompt }).prompt).toBe(prompt)
  })

  it('echoes a shortened copy of long or deep values', () => {
    const [tooLong] = issuesOf({ prompt: '🦊'.repeat(3000) })
    expect(tooLong?.input).toBe(`${'🦊'.repeat(64)}…`)
    const deep = JSON.parse(`${'['.repeat(30)}${']'.repeat(30)}`)
    const [extra] = issuesOf({ prompt: 'p', deep })
    expect(extra).toMatchObject({ loc: ['body', 'deep'], type: 'extra_forbidden', input: [['[…]']] })
    const [wide] = issuesOf({ prompt: 'p', wide: { nested: { deeper: { a: 1 } } } })
    expect(wide?.input).toEqual({ nested: { deeper: '{…}' } })
    const [long] = issuesOf({ prompt: 'p', long: Array.from({ length: 100 }, (_, index) => index) })
    expect(long?.input).toEqual([...Array.from({ length: 16 }, (_, index) => index), '…'])
    const [missing] = issuesOf(Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`k${index}`, index])))
    expect(Object.keys(missing?.input as object)).toHaveLength(17)
  })

  it('keeps num_images and picks a random seed that leaves room for every image', () => {
    const resolved = resolveGenerateRequest({ prompt: 'p', num_images: 4 }, () => 1 - 2 ** -53)
    expect(resolved.num_images).toBe(4)
    expect(resolved.seed + 3).toBeLessThanOrEqual(MAX_SEED)
  })

  it.each([
    [{}, 0.5, 2],
    [{ strength: 1 }, 1, 1],
    [{ strength: 0.3 }, 0.3, 4],
    [{ strength: 0.25 }, 0.25, 4],
    [{ strength: 0.6 }, 0.6, 2],
    [{ strength: 0.5, num_inference_steps: 3 }, 0.5, 3],
  ])('with image_url and %j: strength %d, num_inference_steps %d', (fields, strength, steps) => {
    const resolved = resolveGenerateRequest({ prompt: 'p', image_url: 'data:,', ...fields })
    expect(resolved).toMatchObject({ strength, num_inference_steps: steps })
    expect(resolved).not.toHaveProperty('image')
  })

  it('has no strength without image_url', () => {
    expect(resolveGenerateRequest({ prompt: 'p' })).not.toHaveProperty('strength')
  })

  it('reports every bad field at once', () => {
    const issues = issuesOf({ width: 7, height: 9, extra: 1 })
    expect(issues.map((issue) => issue.loc.at(-1))).toEqual(['prompt', 'width', 'height', 'extra'])
  })

  it('carries the violated constraint in ctx', () => {
    expect(issuesOf({ prompt: 'p', width: 524 })[0]?.ctx).toEqual({ multiple_of: 8 })
  })
})

describe('parseJsonBody', () => {
  it('parses JSON', () => {
    expect(parseJsonBody('{"prompt":"x"}')).toEqual({ prompt: 'x' })
  })

  it.each(['{"prompt":', '', '   ', 'prompt=x'])('answers 400 for %j', (text) => {
    expect(() => parseJsonBody(text)).toThrow(HttpProblem)
    try {
      parseJsonBody(text)
    } catch (error) {
      expect((error as HttpProblem).status).toBe(400)
    }
  })
})

describe('parseJsonBody nesting', () => {
  const nested = (depth: number) => `{"prompt":"x","a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`

  it(`parses ${MAX_JSON_DEPTH} levels`, () => {
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toMatchObject({ prompt: 'x' })
  })

  it.each([MAX_JSON_DEPTH + 1, 30_000])('answers 400 naming the limit for %i levels', (depth) => {
    expect(() => parseJsonBody(nested(depth))).toThrow(
      new HttpProblem(400, `JSON body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`),
    )
  })

  it('does not count brackets inside strings', () => {
    const text = JSON.stringify({ prompt: `${'['.repeat(100)}\\"{{{{`, negative_prompt: '"]]]' })
    expect(parseJsonBody(text)).toEqual(JSON.parse(text))
  })
})

describe('randomSeed', () => {
  it('stays inside 0 … 2^53 − 1', () => {
    expect(randomSeed(() => 0)).toBe(0)
    expect(randomSeed(() => 0.9999999999999999)).toBeLessThanOrEqual(MAX_SEED)
  })
})
