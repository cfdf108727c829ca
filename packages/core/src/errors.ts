import type { ValidationIssue } from './types.js'

/**
 * An error that has an HTTP answer: a status, a `detail` for the body and optional headers.
 * The app turns it into `{ "detail": "..." }` with that status.
 * @example throw new HttpProblem(404, 'Request abc not found')
 */
export class HttpProblem extends Error {
  override readonly name: string = 'HttpProblem'
  /** The HTTP status to answer with. */
  readonly status: number
  /** Extra response headers, for example `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>

  constructor(status: number, detail: string, headers: Record<string, string> = {}) {
    super(detail)
    this.status = status
    this.headers = headers
  }

  /** The response body. */
  toBody(): { detail: string | ValidationIssue[] } {
    return { detail: this.message }
  }
}

/**
 * A 422 whose body is the FastAPI/pydantic list of issues, each naming the field it is about.
 * @example new ValidationProblem([{ loc: ['body', 'width'], msg: 'Input should be a multiple of 8', type: 'multiple_of' }])
 */
export class ValidationProblem extends HttpProblem {
  override readonly name = 'ValidationProblem'
  /** The issues, in the order the fields were checked. */
  readonly issues: ValidationIssue[]

  constructor(issues: ValidationIssue[]) {
    super(422, issues.map((issue) => `${issue.loc.slice(1).join('.') || 'body'}: ${issue.msg}`).join('; '))
    this.issues = issues
  }

  override toBody(): { detail: ValidationIssue[] } {
    return { detail: this.issues }
  }
}
