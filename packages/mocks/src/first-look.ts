import {
  type JobOwner,
  type JobRecord,
  type JobRecordListener,
  MemoryJobQueue,
  type MemoryJobQueueOptions,
} from '@genimage/core'

/**
 * Holds each job before its first step until its caller first looks at it (a status read, the status stream, a
 * result read, or the wait of `POST /generate`), at most `graceMs`: with no step time, a subscriber still sees every
 * step, however late its stream connects on a busy machine.
 * @example const look = createFirstLookGate(500); await look.beforeFirstStep(job)
 */
export function createFirstLookGate(graceMs: number) {
  const seen = new Set<string>()
  const waiting = new Map<string, () => void>()
  return {
    /** Lets `id` run: now if it is held, else as soon as it reaches its first step. */
    saw(record: JobRecord | undefined): void {
      if (!record || record.state === 'COMPLETED') return
      const release = waiting.get(record.id)
      if (release) release()
      else seen.add(record.id)
    },
    /**
     * Resolves once the job was looked at, `graceMs` passed, or the job was aborted; `undefined` when it may start
     * at once.
     */
    beforeFirstStep(job: { id: string; signal: AbortSignal }): Promise<void> | undefined {
      if (graceMs <= 0 || seen.delete(job.id)) return undefined
      return new Promise<void>((resolve) => {
        const release = (): void => {
          clearTimeout(timer)
          waiting.delete(job.id)
          job.signal.removeEventListener('abort', release)
          resolve()
        }
        const timer = setTimeout(release, graceMs)
        waiting.set(job.id, release)
        job.signal.addEventListener('abort', release, { once: true })
      })
    },
    /** Forgets a finished job. */
    finished(id: string): void {
      seen.delete(id)
    },
  }
}

/** The gate {@link createFirstLookGate} returns. */
export type FirstLookGate = ReturnType<typeof createFirstLookGate>

/** A {@link MemoryJobQueue} that tells its gate whenever a caller looks at a job. */
export class LookedAtQueue extends MemoryJobQueue {
  readonly #look: FirstLookGate

  constructor(options: MemoryJobQueueOptions, look: FirstLookGate) {
    super(options)
    this.#look = look
  }

  override async get(id: string, owner: JobOwner): Promise<JobRecord | undefined> {
    const record = await super.get(id, owner)
    this.#look.saw(record)
    return record
  }

  override async watch(id: string, owner: JobOwner, listener: JobRecordListener): Promise<() => void> {
    const unsubscribe = await super.watch(id, owner, listener)
    this.#look.saw(await super.get(id, owner))
    return unsubscribe
  }

  override waitFor(id: string, owner: JobOwner, signal?: AbortSignal): Promise<JobRecord> {
    // Waiting is looking: the job may start while the caller waits (an unknown job rejects at once, unseen).
    const waiting = super.waitFor(id, owner, signal)
    void super.get(id, owner).then((record) => this.#look.saw(record))
    return waiting
  }
}
