import type { GenimageError } from './errors/genimage-error.js'

/**
 * What a hook may return: a value, nothing, or a promise of either.
 * @example Awaitable<Response> // Response | void | Promise<Response | void>
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets hooks written as `() => headers.set(…)` type-check.
export type Awaitable<T> = T | void | Promise<T | void>

/**
 * The request of one call as hooks see it. It is the same object for every attempt of the call, so a header a hook
 * sets stays set on later attempts. The client's `apiKey` is not in `headers`: it is added after the
 * `beforeRequest` hooks, and only when no hook set `authorization`.
 * @example request.headers.set('traceparent', `00-${traceId}-${spanId}-01`)
 */
export interface HookRequest {
  /** The HTTP method. */
  readonly method: string
  /** The URL to fetch (the `proxyUrl` when one is set); a hook may change it. */
  url: string
  /** The headers to send, `x-request-id` and `idempotency-key` included; hooks may change them. */
  headers: Headers
}

/**
 * What every hook receives.
 * @example ({ request, attempt }) => console.log(request.method, request.url, 'attempt', attempt)
 */
export interface HookState {
  /** The call's request. */
  request: HookRequest
  /** The attempt, 1 for the first; in `beforeRetry`, the attempt about to start (2 for the first retry). */
  attempt: number
}

/**
 * Runs before each attempt, `subscribe`'s status stream and polls included. May change `request`, or return a
 * `Response` to answer the attempt without calling `fetch` (the `afterResponse` hooks still run on it).
 * @example ({ request }) => request.headers.set('traceparent', newTraceparent())
 */
export type BeforeRequestHook = (state: HookState) => Awaitable<Response>

/**
 * Runs when an attempt gets a response, before its body is read. May return a `Response` to use instead, or
 * `'retry'` to make another attempt at once (within `retry.limit`, the total time limit, and, for a `POST`, only
 * with its `Idempotency-Key`, which stays the same).
 * @example ({ request, response, duration }) => console.log(request.method, request.url, response.status, duration)
 */
export type AfterResponseHook = (
  state: HookState & {
    /** The response of this attempt. */
    response: Response
    /** Milliseconds from sending the request to receiving the response headers. */
    duration: number
  },
) => Awaitable<Response | 'retry'>

/**
 * Runs before each retry, after the wait was chosen and before it starts. May change `request`; throwing stops the
 * call with what it threw.
 * @example ({ attempt, error, delay }) => console.warn(`retry ${attempt - 1} in ${delay} ms:`, error.message)
 */
export type BeforeRetryHook = (
  state: HookState & {
    /** Why the last attempt failed. */
    error: GenimageError
    /** Milliseconds the client waits before the attempt (0 after an `afterResponse` hook returned `'retry'`). */
    delay: number
  },
) => Awaitable<never>

/**
 * Runs once when the call fails with a client error (`ApiError`, `TimeoutError`, …), not with what a hook threw.
 * May return another error to throw instead.
 * @example ({ error }) => (error instanceof AuthenticationError ? new Error('Sign in again', { cause: error }) : error)
 */
export type BeforeErrorHook = (
  state: HookState & {
    /** The error the call is about to reject with. */
    error: GenimageError
  },
) => Awaitable<Error>

/**
 * Functions the client calls around each HTTP attempt, in array order, each awaited. A hook that returns a value
 * ends its list; what a hook throws rejects the call as it is, without retries.
 * @default {}
 * @example { beforeRequest: [({ request }) => request.headers.set('x-trace-id', crypto.randomUUID())] }
 */
export interface Hooks {
  /** Before each attempt: add or change headers, or answer with a `Response`. */
  beforeRequest?: BeforeRequestHook[]
  /** After each response: log it, replace it, or return `'retry'` (after refreshing a credential, say). */
  afterResponse?: AfterResponseHook[]
  /** Before each retry: see the attempt number, the error and the wait. */
  beforeRetry?: BeforeRetryHook[]
  /** Before the call rejects: inspect the error or return another one. */
  beforeError?: BeforeErrorHook[]
}

/**
 * Calls `hooks` in order with `state`, awaiting each, and resolves with the first value one returns; with no hooks,
 * returns `undefined` at once (no promise: the path every call takes when hooks are unused).
 */
export function runHooks<S, R>(
  hooks: readonly ((state: S) => Awaitable<R>)[] | undefined,
  state: S,
): Promise<R | undefined> | undefined {
  if (!hooks?.length) return undefined
  return runEach(hooks, state)
}

async function runEach<S, R>(hooks: readonly ((state: S) => Awaitable<R>)[], state: S): Promise<R | undefined> {
  for (const hook of hooks) {
    const result = await hook(state)
    if (result !== undefined) return result as R
  }
}
