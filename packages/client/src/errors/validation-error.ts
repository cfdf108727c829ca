import type { ValidationIssue } from '../types.js'
import { ApiError, type ApiErrorInit } from './api-error.js'
import { issuePath } from './detail.js'

/**
 * 422: the body is JSON but a field is missing, of the wrong type or out of range. `issues` lists each problem.
 * @example if (error instanceof ValidationError) showError(error.fieldErrors('width')[0]?.msg)
 */
export class ValidationError extends ApiError {
  override readonly name: string = 'ValidationError'
  declare readonly status: 422
  /** The body's `detail` array: one entry per problem, with `loc` (`['body', 'width']`), `msg` and `type`. */
  readonly issues: ValidationIssue[]

  constructor(init: ApiErrorInit) {
    super(init)
    const detail = (init.body as { detail?: unknown } | null)?.detail
    this.issues = Array.isArray(detail) ? detail : []
  }

  /**
   * The issues about one field, named as in the request body (`'width'`), or by dotted path for nested fields.
   * @example error.fieldErrors('width') // [{ loc: ['body', 'width'], msg: 'Input should be a multiple of 8', … }]
   */
  fieldErrors(field: string): ValidationIssue[] {
    return this.issues.filter((issue) => issuePath(issue) === field)
  }

  /**
   * fal's name for {@link ValidationError.fieldErrors}: the issues about one field. (fal's `fieldErrors` getter,
   * every issue, is `issues` here.)
   * @example error.getFieldErrors('width')[0]?.msg // 'Input should be a multiple of 8'
   */
  getFieldErrors(field: string): ValidationIssue[] {
    return this.fieldErrors(field)
  }
}
