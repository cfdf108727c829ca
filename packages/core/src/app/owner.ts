import type { JobOwner } from '../queue/port.js'
import { sha256Hex } from '../util/sha256.js'

/** The owner of requests made without API keys (a server that requires none). */
export const ANONYMOUS_OWNER: JobOwner = 'anonymous'

/**
 * The owner id of an API key: the first 32 hex digits of its SHA-256, so the key itself is never stored with jobs.
 * @example await ownerOfApiKey('secret') // '2bb80d537b1da3e38bd30361aa855686'
 */
export function ownerOfApiKey(apiKey: string): Promise<JobOwner> {
  return Promise.resolve(sha256Hex(apiKey, 32))
}
