/** The Redis keys genimage keeps beside BullMQ's own (`<prefix>:<queue>:…`). */
export interface GenimageKeys {
  /** BullMQ's FIFO list of waiting job ids (newest on the left). */
  wait: string
  /** BullMQ's hash of one job. */
  job(id: string): string
  /** A cancelled-while-queued job's final record (JSON), kept for the result retention. */
  cancelled(id: string): string
  /** Marker set when a job's owner cancels it; a worker checks it before it runs the job. */
  cancelMarker(id: string): string
  /** Pub/sub channel workers listen on for cancels of running jobs (message: the job id). */
  cancelChannel: string
  /** One owner's `Idempotency-Key` → `<fingerprint hash>\n<job id>`. */
  idempotency(owner: string, keyHash: string): string
  /** Sorted set of idempotency keys by expiry, to bound their count. */
  idempotencyIndex: string
  /** Sorted set of worker ids by last heartbeat. */
  workers: string
  /** One worker's presence record (JSON), expiring when it stops beating. */
  worker(id: string): string
}

/**
 * The keys of queue `name` under `prefix`; BullMQ's are `<prefix>:<name>:<type>`, ours `<prefix>:<name>:gi:<type>`.
 * @example genimageKeys('genimage', 'generate').wait // 'genimage:generate:wait'
 */
export function genimageKeys(prefix: string, name: string): GenimageKeys {
  const base = `${prefix}:${name}`
  const own = `${base}:gi`
  return {
    wait: `${base}:wait`,
    job: (id) => `${base}:${id}`,
    cancelled: (id) => `${own}:cancelled:${id}`,
    cancelMarker: (id) => `${own}:cancel:${id}`,
    cancelChannel: `${own}:cancel`,
    idempotency: (owner, keyHash) => `${own}:idem:${owner}:${keyHash}`,
    idempotencyIndex: `${own}:idem-index`,
    workers: `${own}:workers`,
    worker: (id) => `${own}:worker:${id}`,
  }
}
