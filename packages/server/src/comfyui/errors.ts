/**
 * What can go wrong talking to ComfyUI, one class per failure, and how each maps to a {@link BackendError} kind
 * (which decides the HTTP status: execution_failed/out_of_memory → 502, unavailable → 503, invalid_input → 422).
 * @module
 */
import { BackendError, type BackendErrorKind } from '@genimage/core'
import type { ExecutionErrorData, ExecutionInterruptedData, NodeErrorEntry } from './protocol.js'

/** ComfyUI could not be reached: refused, reset, or no answer in time. */
export class ComfyConnectionError extends Error {
  override readonly name = 'ComfyConnectionError'
}

/** ComfyUI answered an HTTP status the bridge does not expect. */
export class ComfyHttpError extends Error {
  override readonly name = 'ComfyHttpError'
  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The body, parsed when JSON. */
    readonly body: unknown,
    message: string,
  ) {
    super(message)
  }
}

/** `POST /prompt` refused the graph (400), or accepted it with `node_errors`. */
export class ComfyPromptRejectedError extends Error {
  override readonly name = 'ComfyPromptRejectedError'
  constructor(
    /** The top-level `error` object, when there is one. */
    readonly error: { type: string; message: string; details?: string } | undefined,
    /** `node_errors`: node id → errors. */
    readonly nodeErrors: Record<string, NodeErrorEntry>,
  ) {
    super(describeRejection(error, nodeErrors))
  }

  /** True when every error is a value out of range or not in a list (the request's fault, not the workflow's). */
  get isInvalidValue(): boolean {
    const errors = Object.values(this.nodeErrors).flatMap((entry) => entry.errors)
    const values = new Set([
      'value_smaller_than_min',
      'value_bigger_than_max',
      'value_not_in_list',
      'invalid_input_type',
    ])
    return errors.length > 0 && errors.every((e) => values.has(e.type))
  }
}

/** A node raised while the prompt ran (`execution_error`). */
export class ComfyExecutionError extends Error {
  override readonly name = 'ComfyExecutionError'
  constructor(
    /** The `execution_error` data. */
    readonly data: ExecutionErrorData,
  ) {
    super(describeExecutionError(data))
  }

  /** True for a CUDA out-of-memory (`torch.OutOfMemoryError`). */
  get isOutOfMemory(): boolean {
    return isOutOfMemory(this.data)
  }

  /** True when the image-to-image input did not decode (GenimageLoadImage's ValueError): the caller's image. */
  get isUnreadableInput(): boolean {
    return this.data.node_type === 'GenimageLoadImage' && this.data.exception_type === 'ValueError'
  }
}

/** The prompt was interrupted by somebody else (`execution_interrupted` the bridge did not ask for). */
export class ComfyInterruptedError extends Error {
  override readonly name = 'ComfyInterruptedError'
  constructor(
    /** The `execution_interrupted` data. */
    readonly data: ExecutionInterruptedData,
  ) {
    super(`ComfyUI interrupted the prompt in node ${data.node_id} (${data.node_type}), not at our request`)
  }
}

/** The bridge gave up on a prompt: ComfyUI stayed away too long, or the prompt was lost too many times. */
export class ComfyUnavailableError extends Error {
  override readonly name = 'ComfyUnavailableError'
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? text
}

/**
 * True when an `execution_error` is a CUDA out-of-memory.
 * @example
 * isOutOfMemory({ exception_type: 'torch.OutOfMemoryError', … }) // true
 */
export function isOutOfMemory(data: Pick<ExecutionErrorData, 'exception_type' | 'exception_message'>): boolean {
  return (
    /OutOfMemoryError$/.test(data.exception_type) ||
    /out of memory|This error means you ran out of memory on your GPU/i.test(data.exception_message)
  )
}

function describeExecutionError(data: ExecutionErrorData): string {
  const where = `node ${data.node_id} (${data.node_type})`
  const what = `${data.exception_type}: ${firstLine(data.exception_message)}`
  return isOutOfMemory(data) ? `ComfyUI ran out of GPU memory in ${where}: ${what}` : `ComfyUI ${where} failed: ${what}`
}

function describeRejection(
  error: { type: string; message: string; details?: string } | undefined,
  nodeErrors: Record<string, NodeErrorEntry>,
): string {
  const lines = Object.entries(nodeErrors).flatMap(([id, entry]) =>
    entry.errors.map((e) => `node ${id} (${entry.class_type}): ${e.message}: ${e.details}`),
  )
  const head = error ? `ComfyUI rejected the prompt (${error.type}: ${error.message})` : 'ComfyUI rejected the prompt'
  return lines.length > 0 ? `${head}: ${lines.join('; ')}` : error?.details ? `${head}: ${error.details}` : head
}

/**
 * Maps any failure of the bridge to the {@link BackendError} the job engine understands.
 * @example
 * catch (error) { throw toBackendError(error) }
 */
export function toBackendError(error: unknown): BackendError {
  if (error instanceof BackendError) return error
  let kind: BackendErrorKind = 'execution_failed'
  if (error instanceof ComfyExecutionError) {
    kind = error.isOutOfMemory ? 'out_of_memory' : error.isUnreadableInput ? 'invalid_input' : 'execution_failed'
  } else if (error instanceof ComfyPromptRejectedError)
    kind = error.isInvalidValue ? 'invalid_input' : 'execution_failed'
  else if (
    error instanceof ComfyInterruptedError ||
    error instanceof ComfyConnectionError ||
    error instanceof ComfyUnavailableError ||
    (error instanceof ComfyHttpError && error.status >= 500)
  ) {
    kind = 'unavailable'
  }
  const message = error instanceof Error ? error.message : String(error)
  return new BackendError(kind, message, { cause: error })
}
