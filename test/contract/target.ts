/** How a contract target must be configured for a group of tests. */
export interface TargetOptions {
  /** Jobs allowed to wait before 429. */
  maxQueueSize?: number
  /** Longest a job may run before 504. */
  jobTimeoutMs?: number
  /** Make each generation take at least ~0.5 s, so tests can act while jobs run. */
  slow?: boolean
  /** Require these API keys. */
  apiKeys?: string[]
  /** Accept `webhook_url` and sign webhooks with `secret`; `allowedHosts` may be loopback (the test's receiver). */
  webhooks?: { secret: string; allowedHosts: string[] }
}

/** One running implementation of the API. */
export interface RunningTarget {
  /** Base URL of the API. */
  baseUrl: string
  /** The fetch to reach it (the global one; msw intercepts it for in-process targets). */
  fetch: typeof fetch
  close(): Promise<void>
}

/** An implementation of the API the contract suite runs against. */
export interface ContractTarget {
  name: string
  start(options: TargetOptions): Promise<RunningTarget>
}
