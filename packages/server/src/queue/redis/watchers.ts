import type { JobOwner, JobRecord, JobRecordListener } from '@genimage/core'
import type { QueueEvents } from 'bullmq'
import { failedRecord, failureOf, type ProgressData, type ResultData, succeededRecord } from './records.js'

/** Reads the current records of watched jobs (one pipeline); a missing one is `undefined`. */
export type ReadRecords = (jobs: readonly { id: string; owner: JobOwner }[]) => Promise<(JobRecord | undefined)[]>

interface Watched {
  owner: JobOwner
  /** Each listener with the last record it was sent, as JSON, so that it only hears of changes. */
  listeners: Map<JobRecordListener, string>
  /** The newest record known. */
  record: JobRecord
  /** Bumped by each record built from a progress event: a re-read issued before it is stale. */
  version: number
}

/** Re-reads every watched job this often, in case an event was missed while Redis was unreachable. */
const POLL_MS = 1000

/** Events about one job, and events that move every queued job up. */
const OWN_EVENTS = ['active', 'removed', 'waiting', 'stalled'] as const
const SHIFTING_EVENTS = new Set<string>(['active', 'removed'])

/**
 * Fans BullMQ's queue events out to the listeners of `watch` on this API node: an event about a watched job (or one
 * that moves queued jobs up) marks it for a re-read; re-reads are coalesced into one pipeline per tick. Progress
 * events are delivered as they come, without a read.
 * @example const watchers = new JobWatchers(queueEvents, readRecords)
 */
export class JobWatchers {
  readonly #jobs = new Map<string, Watched>()
  readonly #dirty = new Set<string>()
  readonly #read: ReadRecords
  readonly #poll: NodeJS.Timeout
  #flushing: Promise<void> | undefined
  #scheduled = false

  constructor(events: QueueEvents, read: ReadRecords) {
    this.#read = read
    for (const name of OWN_EVENTS) {
      events.on(name, (args: unknown) => {
        const jobId = (args as { jobId?: string }).jobId
        if (jobId !== undefined && this.#jobs.has(jobId)) this.#mark(jobId)
        if (SHIFTING_EVENTS.has(name)) this.#markQueued()
      })
    }
    // Progress and completion go to listeners straight from the event (which carries them): no read, and a fast
    // job's steps are never coalesced away.
    events.on('progress', ({ jobId, data }) => this.#progress(jobId, data as ProgressData))
    events.on('completed', ({ jobId, returnvalue }) => {
      const watched = this.#jobs.get(jobId)
      const result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as ResultData
      if (watched) this.#direct(jobId, succeededRecord(watched.record, result, Date.now()))
    })
    events.on('failed', ({ jobId, failedReason }) => {
      const watched = this.#jobs.get(jobId)
      if (watched) this.#direct(jobId, failedRecord(watched.record, failureOf(failedReason), Date.now()))
    })
    this.#poll = setInterval(() => {
      for (const id of this.#jobs.keys()) this.#mark(id)
    }, POLL_MS)
    this.#poll.unref()
  }

  /** Jobs watched on this node. */
  get size(): number {
    return this.#jobs.size
  }

  /** Adds `listener` for job `record.id` (which it was just sent); returns the unsubscribe function. */
  add(record: JobRecord, listener: JobRecordListener): () => void {
    let watched = this.#jobs.get(record.id)
    if (!watched) {
      watched = { owner: record.owner, listeners: new Map(), record, version: 0 }
      this.#jobs.set(record.id, watched)
    }
    watched.listeners.set(listener, JSON.stringify(record))
    // The job may have changed between the read that produced `record` and now.
    this.#mark(record.id)
    const entry = watched
    return () => {
      entry.listeners.delete(listener)
      if (entry.listeners.size === 0 && this.#jobs.get(record.id) === entry) this.#jobs.delete(record.id)
    }
  }

  /** Stops polling and forgets every listener. */
  close(): void {
    clearInterval(this.#poll)
    this.#jobs.clear()
    this.#dirty.clear()
  }

  #markQueued(): void {
    for (const [id, watched] of this.#jobs) if (watched.record.state === 'IN_QUEUE') this.#mark(id)
  }

  #mark(id: string): void {
    this.#dirty.add(id)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => void this.#flush())
  }

  async #flush(): Promise<void> {
    await this.#flushing
    this.#scheduled = false
    if (this.#dirty.size === 0) return
    const ids = [...this.#dirty].filter((id) => this.#jobs.has(id))
    this.#dirty.clear()
    const jobs = ids.map((id) => ({ id, owner: this.#jobs.get(id)!.owner }))
    const versions = ids.map((id) => this.#jobs.get(id)!.version)
    this.#flushing = this.#read(jobs).then(
      (records) => {
        for (const [index, record] of records.entries()) {
          const id = ids[index]!
          // A progress event arrived while this read was in flight: read again rather than go back in time.
          if (this.#jobs.get(id)?.version !== versions[index]) this.#mark(id)
          else this.#deliver(id, record)
        }
      },
      // Redis unreachable: the poll retries once it is back.
      () => {},
    )
    await this.#flushing
  }

  #progress(id: string, data: ProgressData): void {
    const watched = this.#jobs.get(id)
    if (!watched || watched.record.state === 'COMPLETED' || typeof data?.step !== 'number') return
    this.#direct(id, {
      ...watched.record,
      state: 'IN_PROGRESS',
      queuePosition: 0,
      progress: { step: data.step, total_steps: data.total_steps },
      logs: data.logs ?? watched.record.logs,
    })
  }

  /** Delivers a record built from an event; a re-read already in flight is then stale. */
  #direct(id: string, record: JobRecord): void {
    const watched = this.#jobs.get(id)
    if (!watched) return
    watched.version += 1
    this.#deliver(id, record)
  }

  #deliver(id: string, record: JobRecord | undefined): void {
    const watched = this.#jobs.get(id)
    if (!watched || !record) return
    const json = JSON.stringify(record)
    watched.record = record
    if (record.state === 'COMPLETED') this.#jobs.delete(id)
    for (const [listener, last] of [...watched.listeners]) {
      if (last === json) continue
      watched.listeners.set(listener, json)
      listener(record)
    }
  }
}
