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
 * Image-to-image rules are checked here too (`strength` only with `image_url`, `strength × num_inference_steps ≥ 1`,
 * the step count defaulted from `strength`); the image itself is read later ({@link resolveInputImage}), so the
 * result has no `image` yet. Throws a {@link ValidationProblem} (422) listing every bad field.
 * @example resolveGenerateRequest({ prompt: 'a fox' }) // { prompt: 'a fox', width: 512, …, seed: 12345, num_images: 1 }
 */
export function resolveGenerateRequest(body: unknown, random: () => number = Math.random): ResolvedGenerateRequest {
  const issues = validateJson(schema, body, ['body'])
  if (issues.length > 0) throw new ValidationProblem(issues)
  const input = body as Partial<ResolvedGenerateRequest> & { prompt: string; image_url?: string }
  const imageToImage = imageToImageSteps(input)
  const numImages = input.num_images ?? defaultOf<number>('num_images')
  const lastSeed = MAX_SEED - (numImages - 1)
  if (input.seed !== undefined && input.seed > lastSeed) {
    throw new ValidationProblem([
      {
        loc: ['body', 'seed'],
        msg: `Input should be less than or equal to ${lastSeed} with num_images ${numImages} (image i uses seed + i)`,
        type: 'less_than_equal',
        input: input.seed,
        ctx: { le: lastSeed },
      },
    ])
  }
  // `strength` is set after the literal rather than spread into it: a spread after other properties builds the
  // object on V8's slow path, and every request's input is read many times.
  const resolved: ResolvedGenerateRequest = {
    prompt: input.prompt,
    negative_prompt: input.negative_prompt ?? defaultOf<string>('negative_prompt'),
    width: input.width ?? defaultOf<number>('width'),
    height: input.height ?? defaultOf<number>('height'),
    num_inference_steps: imageToImage?.steps ?? input.num_inference_steps ?? defaultOf<number>('num_inference_steps'),
    seed: input.seed ?? Math.min(randomSeed(random), lastSeed),
    output_format: input.output_format ?? defaultOf<OutputFormat>('output_format'),
    sync_mode: input.sync_mode ?? defaultOf<boolean>('sync_mode'),
    num_images: numImages,
  }
  if (imageToImage) resolved.strength = imageToImage.strength
  return resolved
}

/** The largest `num_inference_steps` the contract accepts. */
const MAX_STEPS = (generateRequestSchema.properties.num_inference_steps as { maximum: number }).maximum

/**
 * Sampled steps of an image-to-image request: SDXL Turbo runs `floor(strength × num_inference_steps)` steps, so the
 * product must be at least 1 (the model card's rule).
 * @example sampledSteps(0.5, 2) // 1
 */
export const sampledSteps = (strength: number, steps: number): number => Math.floor(strength * steps + 1e-9)

/**
 * The steps a request samples, as progress counts them: `num_inference_steps`, or for image-to-image
 * {@link sampledSteps} of its strength.
 * @example samplingSteps({ …, num_inference_steps: 2, strength: 0.5, image }) // 1
 */
export const samplingSteps = (input: ResolvedGenerateRequest): number =>
  input.image ? sampledSteps(input.strength ?? 1, input.num_inference_steps) : input.num_inference_steps

/** Strength and step count of an image-to-image request, `undefined` without `image_url`; 422 when they do not fit. */
function imageToImageSteps(input: {
  image_url?: string
  strength?: number
  num_inference_steps?: number
}): { strength: number; steps: number } | undefined {
  if (input.image_url === undefined) {
    if (input.strength === undefined) return undefined
    throw new ValidationProblem([
      {
        loc: ['body', 'strength'],
        msg: 'strength applies only to image-to-image: send image_url with it, or leave strength out',
        type: 'value_error',
        input: input.strength,
      },
    ])
  }
  const strength = input.strength ?? defaultOf<number>('strength')
  if (input.num_inference_steps !== undefined) {
    if (sampledSteps(strength, input.num_inference_steps) >= 1) return { strength, steps: input.num_inference_steps }
    throw new ValidationProblem([
      {
        loc: ['body', 'strength'],
        msg: `strength × num_inference_steps must be at least 1 (got ${strength} × ${input.num_inference_steps}); raise strength or num_inference_steps`,
        type: 'value_error',
        input: strength,
      },
    ])
  }
  for (let steps = 1; steps <= MAX_STEPS; steps += 1) if (sampledSteps(strength, steps) >= 1) return { strength, steps }
  throw new ValidationProblem([
    {
      loc: ['body', 'strength'],
      msg: `strength ${strength} needs more than ${MAX_STEPS} num_inference_steps (strength × num_inference_steps must be at least 1); use a strength of at least ${1 / MAX_STEPS}`,
      type: 'value_error',
      input: strength,
    },
  ])
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
