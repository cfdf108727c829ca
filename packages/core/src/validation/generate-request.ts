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

/**
 * Parses a request body as JSON, answering 400 with the parser's reason when it is not.
 * @example parseJsonBody('{"prompt":"a fox"}') // { prompt: 'a fox' }
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new HttpProblem(400, 'Request body is empty; send a JSON object such as {"prompt": "a fox"}')
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new HttpProblem(400, `Malformed JSON body: ${(error as Error).message}`)
  }
}
