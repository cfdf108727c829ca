import { describe, expect, it } from 'vitest'
import { ValidationProblem } from '../errors.js'
import { type ExtraInputs, extraInputProblems, resolveWithExtraInputs } from './extra-inputs.js'
import { resolveGenerateRequest } from './generate-request.js'

const INPUTS: ExtraInputs = {
  cfg: { type: 'number', minimum: 0, maximum: 10, default: 1, description: 'Guidance scale.' },
  sampler_name: { type: 'string', enum: ['euler', 'euler_ancestral'] },
  lora_strength: { type: 'number', multipleOf: 0.25 },
}

const resolve = (body: unknown, inputs: ExtraInputs | undefined = INPUTS) =>
  resolveWithExtraInputs(body, inputs, (rest) => resolveGenerateRequest(rest, () => 0.5))

const issuesOf = (body: unknown) => {
  try {
    resolve(body)
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem)
    return (error as ValidationProblem).issues
  }
  throw new Error('expected a 422')
}

describe('extraInputProblems', () => {
  it('accepts the documented keywords', () => {
    expect(extraInputProblems(INPUTS)).toEqual([])
    expect(
      extraInputProblems({ tag: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[a-z]+$', default: 'x' } }),
    ).toEqual([])
  })

  it('refuses contract fields and names that are not snake_case', () => {
    expect(extraInputProblems({ width: { type: 'integer' } })).toEqual([
      expect.stringMatching(/^"width": is a field of the contract; pick another name/),
    ])
    expect(
      extraInputProblems({ CFG: { type: 'number' }, 'lora-x': { type: 'number' }, a__b: { type: 'number' } }),
    ).toEqual([
      '"CFG": the name must be snake_case (a-z, 0-9 and single underscores)',
      '"lora-x": the name must be snake_case (a-z, 0-9 and single underscores)',
      '"a__b": the name must be snake_case (a-z, 0-9 and single underscores)',
    ])
  })

  it('names each unsupported keyword and the supported ones', () => {
    expect(extraInputProblems({ cfg: { type: 'number', exclusiveMinimum: 0, oneOf: [] } })).toEqual([
      '"cfg": unsupported schema keyword "exclusiveMinimum", "oneOf" (supported: type, description, default, enum, minimum, maximum, multipleOf, minLength, maxLength, pattern)',
    ])
  })

  it('refuses schemas that do not fit their type', () => {
    expect(extraInputProblems({ a: { type: 'array' } })).toEqual([
      '"a": "type" must be one of integer, number, string, boolean',
    ])
    expect(extraInputProblems({ a: 'number' })).toEqual([
      '"a": the schema must be an object such as {"type": "number"}',
    ])
    expect(extraInputProblems({ a: { type: 'string', minimum: 1 } })).toEqual([
      '"a": "minimum" applies to integer and number, not string',
    ])
    expect(extraInputProblems({ a: { type: 'integer', maxLength: 3 } })).toEqual([
      '"a": "maxLength" applies to string, not integer',
    ])
    expect(extraInputProblems({ a: { type: 'number', minimum: 5, maximum: 1, multipleOf: 0 } })).toEqual([
      '"a": "multipleOf" must be > 0',
      '"a": "minimum" is above "maximum"',
    ])
    expect(extraInputProblems({ a: { type: 'string', pattern: '(' } })).toEqual([
      expect.stringMatching(/^"a": "pattern" is not a valid regular expression/),
    ])
    expect(extraInputProblems({ a: { type: 'string', enum: ['x', 2] } })).toEqual([
      '"a": "enum" has values that are not of type string: [2]',
    ])
    expect(extraInputProblems({ a: { type: 'number', maximum: 10, default: 11 } })).toEqual([
      '"a": "default" 11: Input should be less than or equal to 10',
    ])
  })
})

describe('resolveWithExtraInputs', () => {
  it('passes declared values on as extra, in declaration order, with defaults applied', () => {
    const resolved = resolve({ lora_strength: 0.5, prompt: 'a fox', cfg: 2.5 })
    expect(resolved.prompt).toBe('a fox')
    expect(resolved.extra).toEqual({ cfg: 2.5, lora_strength: 0.5 })
    expect(Object.keys(resolved.extra!)).toEqual(['cfg', 'lora_strength'])
    expect(resolve({ prompt: 'a fox' }).extra).toEqual({ cfg: 1 })
  })

  it('answers 422 at ["body", name] for a bad extra value', () => {
    expect(issuesOf({ prompt: 'a fox', cfg: 99 })).toEqual([
      {
        loc: ['body', 'cfg'],
        msg: 'Input should be less than or equal to 10',
        type: 'less_than_equal',
        input: 99,
        ctx: { le: 10 },
      },
    ])
    expect(issuesOf({ prompt: 'a fox', sampler_name: 'dpm' })).toEqual([
      expect.objectContaining({ loc: ['body', 'sampler_name'], type: 'enum', input: 'dpm' }),
    ])
    expect(issuesOf({ prompt: 'a fox', cfg: '2' })).toEqual([
      expect.objectContaining({ loc: ['body', 'cfg'], type: 'float_type' }),
    ])
  })

  it('still refuses unknown fields, and lists contract issues before extra ones', () => {
    expect(issuesOf({ prompt: 'a fox', cfgg: 2 })).toEqual([
      expect.objectContaining({ loc: ['body', 'cfgg'], type: 'extra_forbidden' }),
    ])
    expect(issuesOf({ cfg: -1, width: 7 }).map((issue) => issue.loc)).toEqual([
      ['body', 'prompt'],
      ['body', 'width'],
      ['body', 'cfg'],
    ])
  })

  it('leaves the body to the contract alone without extra inputs', () => {
    expect(resolve({ prompt: 'a fox' }, {}).extra).toBeUndefined()
    expect(() => resolveWithExtraInputs({ prompt: 'a fox', cfg: 2 }, undefined, resolveGenerateRequest)).toThrow(
      ValidationProblem,
    )
    expect(() => resolve('a fox')).toThrow(ValidationProblem)
  })
})
