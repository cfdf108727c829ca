import type { ResolvedGenerateRequest } from '../types.js'
import type { AppContext } from './context.js'

/**
 * The validated request with its `image_url` resolved into a stored input image, or `input` itself, at once and not
 * as a promise, when there is none: own `/files/` URLs are recognised under the public base URL and under the
 * request's own origin.
 * @example const input = await withInputImage(resolveGenerateRequest(body), body, request, context)
 */
export function withInputImage<T extends ResolvedGenerateRequest>(
  input: T,
  body: unknown,
  request: Request,
  context: AppContext,
): T | Promise<T> {
  const url = (body as { image_url?: unknown }).image_url
  return typeof url === 'string' ? resolveInto(input, url, request, context) : input
}

async function resolveInto<T extends ResolvedGenerateRequest>(
  input: T,
  url: string,
  request: Request,
  context: AppContext,
): Promise<T> {
  const base = context.baseUrl(request)
  // The origin this request came to, with the app's mount path (what precedes /generate or /queue/generate).
  const { origin: requestOrigin, pathname } = new URL(request.url)
  const origin = `${requestOrigin}${pathname.replace(/\/(queue\/)?generate\/?$/, '')}`
  const image = await context.inputImages(url, { store: context.store, ownBases: [...new Set([base, origin])] })
  return { ...input, image }
}
