import { HttpProblem, ValidationProblem } from '../errors.js'
import { generateRequestSchema } from '../generated/generate-request-schema.js'
import type { OutputFormat, ResolvedGenerateRequest } from '../types.js'
import { type JsonSchema, validateJson } from './json-schema.js'

const schema: JsonSchema = generateRequestSchema as JsonSchema

/** The largest seed the API accepts (2^53 − 1, so it survives JSON in every language). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER

const defaultOf = <T>(field: keyof typeof generateRequestSchema.properties): T =>
  (generateRequestSchema.properties[field] as { default?: unknown }).default as T

/** Picks a random seed in the range the API accepts. @default Math.random */
export const randomSeed = (random: () => number = Math.random): number =>
  Math.floor(random() * 2 ** 32) * 2 ** 21 + Math.floor(random() * 2 ** 21)

/**
 * Validates a parsed JSON body against the contract's `GenerateRequest` schema, applies the defaults and picks a seed.
 * Throws a {@link ValidationProblem} (422) listing every bad field.
 * @example resolveGenerateRequest({ prompt: 'a fox' }) // { prompt: 'a fox', width: 512, …, seed: 12345 }
 */
export function resolveGenerateRequest(body: unknown, random: () => number = Math.random): ResolvedGenerateRequest {
  const issues = validateJson(schema, body, ['body'])
  if (issues.length > 0) throw new ValidationProblem(issues)
  const input = body as Partial<ResolvedGenerateRequest> & { prompt: string }
  return {
    prompt: input.prompt,
    negative_prompt: input.negative_prompt ?? defaultOf<string>('negative_prompt'),
    width: input.width ?? defaultOf<number>('width'),
    height: input.height ?? defaultOf<number>('height'),
    num_inference_steps: input.num_inference_steps ?? defaultOf<number>('num_inference_steps'),
    seed: input.seed ?? randomSeed(random),
    output_format: input.output_format ?? defaultOf<OutputFormat>('output_format'),
    sync_mode: input.sync_mode ?? defaultOf<boolean>('sync_mode'),
  }
}

/** The deepest nesting of arrays and objects a JSON body may have; the contract's bodies need 1. */
export const MAX_JSON_DEPTH = 32

/** The deepest array/object nesting in JSON text, counted without parsing and stopping past `limit`. */
const nestingDepth = (text: string, limit: number): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let index = 0; index < text.length && deepest <= limit; index++) {
    const char = text.charCodeAt(index)
    if (inString) {
      if (char === 0x5c)
        index++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x5b || char === 0x7b) deepest = Math.max(deepest, ++depth)
    else if (char === 0x5d || char === 0x7d) depth--
  }
  return deepest
}

/**
 * Parses a request body as JSON, answering 400 with the parser's reason when it is not, and 400 when arrays and
 * objects nest deeper than {@link MAX_JSON_DEPTH} levels (checked before parsing, so no value that deep is built).
 * @example parseJsonBody('{"prompt":"a fox"}') // { prompt: 'a fox' }
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new HttpProblem(400, 'Request body is empty; send a JSON object such as {"prompt": "a fox"}')
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new HttpProblem(400, `JSON body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new HttpProblem(400, `Malformed JSON body: ${(error as Error).message}`)
  }
}
