import type { GenimageMockOptions } from '@genimage/mocks'
import type { TargetOptions } from './target.js'

/** Mock settings that satisfy a contract group's {@link TargetOptions}. */
export const mockOptionsFor = (options: TargetOptions): GenimageMockOptions => ({
  stepMs: options.slow ? 150 : 0,
  maxQueueSize: options.maxQueueSize,
  jobTimeoutMs: options.jobTimeoutMs,
  apiKeys: options.apiKeys,
  webhookSecret: options.webhooks?.secret,
})
