import { describe, expect, it } from 'vitest'
import { HttpProblem, ValidationProblem } from '../errors.js'
import { MAX_SEED, parseJsonBody, randomSeed, resolveGenerateRequest } from './generate-request.js'

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
      seed: randomSeed(() => 0.5),
      output_format: 'png',
      sync_mode: false,
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
    }
    expect(resolveGenerateRequest(body)).toEqual(body)
  })

  it.each([
    [{}, ['body', 'prompt'], 'missing', 'Field required'],
    [{ prompt: 3 }, ['body', 'prompt'], 'string_type', 'Input should be a valid string'],
    [{ prompt: '' }, ['body', 'prompt'], 'string_too_short', 'String should have at least 1 character'],
    [{ prompt: '   ' }, ['body', 'prompt'], 'string_pattern_mismatch', "String should match pattern '\\S'"],
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
    [{ prompt: 'p', guidance: 7 }, ['body', 'guidance'], 'extra_forbidden', 'Extra inputs are not permitted'],
    [[], ['body'], 'model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
    [null, ['body'], 'model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
  ])('rejects %j naming the field', (body, loc, type, msg) => {
    const [issue] = issuesOf(body)
    expect(issue).toMatchObject({ loc, type, msg })
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

describe('randomSeed', () => {
  it('stays inside 0 … 2^53 − 1', () => {
    expect(randomSeed(() => 0)).toBe(0)
    expect(randomSeed(() => 0.9999999999999999)).toBeLessThanOrEqual(MAX_SEED)
  })
})
