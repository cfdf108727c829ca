import type { ValidationIssue } from '../types.js'

/** The field an issue is about: its `loc` without the leading `body`, joined with dots (`width`, `items.0.url`). */
export function issuePath(issue: ValidationIssue): string {
  const loc = Array.isArray(issue.loc) ? issue.loc : []
  return (loc[0] === 'body' ? loc.slice(1) : loc).join('.')
}

/** The server's `detail` as text: the string, or each issue as `field: message` joined with `; `. */
export function describeDetail(body: unknown): string {
  const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : body
  if (typeof detail === 'string') return detail
  if (!Array.isArray(detail)) return ''
  return detail
    .map((issue: ValidationIssue) => {
      const path = issuePath(issue)
      return path ? `${path}: ${issue.msg}` : String(issue.msg)
    })
    .join('; ')
}
