/**
 * Dynamic batching of the jobs the queue hands to the ComfyUI backend: jobs with the same key (size, steps, format)
 * that are already waiting run as one ComfyUI prompt, up to `maxBatch`. Nothing waits for a batch to fill: a prompt
 * is submitted as soon as ComfyUI has nothing on the GPU (no prompt of ours before its output node), or as soon as
 * `maxBatch` jobs of one key wait and fewer than `depth` prompts are in ComfyUI. Each job keeps its own cancel (a
 * cancelled job leaves its batch; the prompt is stopped only when every job of it is gone), progress and log.
 *
 * The queue decides how many jobs it hands over from {@link Batcher.concurrency}, read at every hand-over: while
 * nothing of ours is on the GPU it makes room for one batch, otherwise for none (without batching: room for one
 * more prompt queued in ComfyUI, as before), so jobs that cannot start yet stay in the queue, with their queue
 * positions, rather than here. The queue hands over when a job arrives or ends: a batch that ends lets the next one in.
 * @module
 */
import type { BackendImage, BackendJob } from '@genimage/core'

/** What a group's runner gets besides its jobs. */
export interface GroupControl {
  /** Aborted when every job of the group was cancelled. */
  readonly signal: AbortSignal
  /** The jobs of the group still wanted (not cancelled), for progress and logs. */
  live(): readonly BackendJob[]
  /** Call when the prompt reaches its output node: its GPU work is done, the next prompt may be submitted. */
  outputReached(): void
}

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Jobs in one prompt at most (1: no batching); read at every hand-over, so it may change (once the workflow is known). */
  maxBatch(): number
  /** Prompts in ComfyUI at once at most (one running, the rest queued there). @default 2 */
  depth?: number
  /** Jobs with equal keys may share a prompt. */
  key(job: BackendJob): string
  /** Runs a group as one prompt; resolves with one image per job, in order. */
  run(jobs: readonly BackendJob[], control: GroupControl): Promise<BackendImage[]>
}

interface Member {
  job: BackendJob
  resolve(image: BackendImage): void
  reject(error: unknown): void
  settled: boolean
  group?: Group
  onAbort(): void
}

interface Group {
  members: Member[]
  controller: AbortController
  /** Reached its output node (or settled): no longer holds the GPU. */
  pastGpu: boolean
}

/** Groups waiting jobs into prompts; see the module comment. */
export class Batcher {
  private readonly pending: Member[] = []
  private readonly groups = new Set<Group>()
  private held = 0
  private flushQueued = false
  private readonly depth: number

  constructor(private readonly options: BatcherOptions) {
    this.depth = options.depth ?? 2
  }

  /** How many jobs the queue may have handed over now: those held here, plus room for a batch that can start. */
  get concurrency(): number {
    if (this.groups.size >= this.depth) return this.held
    const maxBatch = this.options.maxBatch()
    if (maxBatch === 1) return this.held + 1
    if (this.gpuBusy()) return this.held
    return this.held + Math.max(1, maxBatch - this.pending.length)
  }

  private gpuBusy(): boolean {
    for (const group of this.groups) if (!group.pastGpu) return true
    return false
  }

  /** Jobs held (waiting here or in a prompt). */
  get size(): number {
    return this.held
  }

  /** Runs one job, batched with whatever waits beside it. */
  run(job: BackendJob): Promise<BackendImage> {
    if (job.signal.aborted) return Promise.reject(job.signal.reason)
    return new Promise<BackendImage>((resolve, reject) => {
      const member: Member = {
        job,
        settled: false,
        resolve: (image) => this.settle(member, () => resolve(image)),
        reject: (error) => this.settle(member, () => reject(error)),
        onAbort: () => this.cancel(member),
      }
      this.held += 1
      this.pending.push(member)
      job.signal.addEventListener('abort', member.onAbort, { once: true })
      this.queueFlush()
    })
  }

  private settle(member: Member, done: () => void): void {
    if (member.settled) return
    member.settled = true
    this.held -= 1
    member.job.signal.removeEventListener('abort', member.onAbort)
    done()
  }

  private cancel(member: Member): void {
    const reason = member.job.signal.reason
    const index = this.pending.indexOf(member)
    if (index >= 0) this.pending.splice(index, 1)
    member.reject(reason)
    const group = member.group
    if (group?.members.every((m) => m.settled)) group.controller.abort(reason)
  }

  /** After the current tick: jobs handed over together by one pump of the queue land in one batch. */
  private queueFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    setImmediate(() => {
      this.flushQueued = false
      this.flush()
    })
  }

  private flush(): void {
    while (this.pending.length > 0 && this.groups.size < this.depth) {
      const key = this.options.key(this.pending[0]!.job)
      const sameKey = this.pending.filter((m) => this.options.key(m.job) === key)
      const maxBatch = this.options.maxBatch()
      if (this.gpuBusy() && sameKey.length < maxBatch) return
      const members = sameKey.slice(0, maxBatch)
      for (const member of members) this.pending.splice(this.pending.indexOf(member), 1)
      this.start(members)
    }
  }

  private start(members: Member[]): void {
    const group: Group = { members, controller: new AbortController(), pastGpu: false }
    for (const member of members) member.group = group
    this.groups.add(group)
    const control: GroupControl = {
      signal: group.controller.signal,
      live: () => members.filter((m) => !m.settled).map((m) => m.job),
      outputReached: () => {
        if (group.pastGpu) return
        group.pastGpu = true
        this.queueFlush()
      },
    }
    const done = () => {
      group.pastGpu = true
      this.groups.delete(group)
      this.queueFlush()
    }
    this.options
      .run(
        members.map((m) => m.job),
        control,
      )
      .then(
        (images) => {
          done()
          members.forEach((member, index) => {
            const image = images[index]
            if (image) member.resolve(image)
            else member.reject(new Error(`the batch returned ${images.length} images for ${members.length} jobs`))
          })
        },
        (error: unknown) => {
          done()
          for (const member of members) member.reject(member.job.signal.aborted ? member.job.signal.reason : error)
        },
      )
  }
}
