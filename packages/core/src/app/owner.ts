import type { JobOwner } from '../queue/port.js'

/** The owner of requests made without API keys (a server that requires none). */
export const ANONYMOUS_OWNER: JobOwner = 'anonymous'

/**
 * The owner id of an API key: the first 32 hex digits of its SHA-256, so the key itself is never stored with jobs.
 * @example await ownerOfApiKey('secret') // '2bb80d537b1da3e38bd30361aa855686'
 */
export async function ownerOfApiKey(apiKey: string): Promise<JobOwner> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(apiKey)))
  let hex = ''
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0')
  return hex
}
