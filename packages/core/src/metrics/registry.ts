/** Label names and values of one metric series. */
export type Labels = Readonly<Record<string, string>>

const labelText = (labels: Labels): string => {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries.map(([name, value]) => `${name}="${value.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`
}

/** Identifies a series; label names are kept in the order callers pass them, which each call site keeps fixed. */
const seriesKey = (labels: Labels): string => {
  let key = ''
  for (const name in labels) key += `${name}\u0000${labels[name]}\u0001`
  return key
}

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, by?: number): void
}
/** A value read when metrics are scraped. */
export interface Gauge {
  set(value: number, labels?: Labels): void
}
/** A distribution of observations in fixed buckets. */
export interface Histogram {
  observe(value: number, labels?: Labels): void
}

interface Family {
  render(): string
}

/** Latency buckets in seconds, from 5 ms to 2 min. @default */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const

/**
 * A small Prometheus registry with text exposition, runtime-agnostic.
 * @example
 * const metrics = new MetricsRegistry()
 * metrics.counter('genimage_jobs_total', 'Jobs by outcome').inc({ outcome: 'succeeded' })
 * metrics.render() // '# HELP genimage_jobs_total …'
 */
export class MetricsRegistry {
  readonly #families = new Map<string, Family>()

  /** Registers (or returns) a counter. */
  counter(name: string, help: string): Counter {
    const series = new Map<string, { labels: Labels; value: number }>()
    return this.#register(
      name,
      help,
      'counter',
      () => {
        const lines: string[] = []
        for (const { labels, value } of series.values()) lines.push(`${name}${labelText(labels)} ${value}`)
        return lines
      },
      {
        inc(labels: Labels = {}, by = 1) {
          const key = seriesKey(labels)
          const entry = series.get(key) ?? { labels, value: 0 }
          entry.value += by
          series.set(key, entry)
        },
      },
    )
  }

  /** Registers (or returns) a gauge; `collect` runs at each scrape when given. */
  gauge(name: string, help: string, collect?: () => number): Gauge {
    const series = new Map<string, { labels: Labels; value: number }>()
    return this.#register(
      name,
      help,
      'gauge',
      () => {
        if (collect) return [`${name} ${collect()}`]
        return [...series.values()].map(({ labels, value }) => `${name}${labelText(labels)} ${value}`)
      },
      {
        set(value: number, labels: Labels = {}) {
          series.set(seriesKey(labels), { labels, value })
        },
      },
    )
  }

  /** Registers (or returns) a histogram with the given upper bounds. */
  histogram(name: string, help: string, buckets: readonly number[] = LATENCY_BUCKETS): Histogram {
    const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>()
    return this.#register(
      name,
      help,
      'histogram',
      () => {
        const lines: string[] = []
        for (const { labels, counts, sum, count } of series.values()) {
          let cumulative = 0
          buckets.forEach((bound, index) => {
            cumulative += counts[index] ?? 0
            lines.push(`${name}_bucket${labelText({ ...labels, le: String(bound) })} ${cumulative}`)
          })
          lines.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`)
          lines.push(`${name}_sum${labelText(labels)} ${sum}`, `${name}_count${labelText(labels)} ${count}`)
        }
        return lines
      },
      {
        observe(value: number, labels: Labels = {}) {
          const key = seriesKey(labels)
          const entry = series.get(key) ?? { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }
          let index = 0
          while (index < buckets.length && !(value <= buckets[index]!)) index += 1
          if (index < buckets.length) entry.counts[index] = (entry.counts[index] ?? 0) + 1
          entry.sum += value
          entry.count += 1
          series.set(key, entry)
        },
      },
    )
  }

  /** The text exposition of every metric. */
  render(): string {
    return `${[...this.#families.values()].map((family) => family.render()).join('\n')}\n`
  }

  #register<T extends object>(name: string, help: string, type: string, lines: () => string[], handle: T): T {
    const existing = this.#families.get(name) as (Family & { handle: T }) | undefined
    if (existing) return existing.handle
    this.#families.set(name, {
      handle,
      render: () => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines()].join('\n'),
    } as Family & { handle: T })
    return handle
  }
}
