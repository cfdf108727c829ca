import type { Logger } from 'pino'

/** A progress report for one file being downloaded. */
export interface DownloadProgress {
  /** Model path relative to the models directory. */
  path: string
  /** Bytes in the `.part` file so far (resumed bytes included). */
  receivedBytes: number
  /** Total size when known. */
  totalBytes: number | undefined
  /** Average rate of this session (resumed bytes excluded). */
  bytesPerSecond: number
  /** `true` on the last report of the file. */
  done: boolean
}

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where log lines go when the output is not a terminal. */
  logger?: Pick<Logger, 'info'>
  /** The terminal to draw a bar on; no bar when it is not a TTY. @default process.stderr */
  stream?: NodeJS.WriteStream
  /** Pause between log lines (not a TTY). @default 10000 */
  logIntervalMs?: number
}

/**
 * The default progress display: a redrawn bar on a TTY, else a log line every `logIntervalMs` and one at the end.
 * @example await ensureWeights({ dir, onProgress: createProgressReporter({ logger }) })
 */
export function createProgressReporter(options: ProgressReporterOptions = {}): (progress: DownloadProgress) => void {
  const stream = options.stream ?? process.stderr
  const interval = stream.isTTY ? 100 : (options.logIntervalMs ?? 10_000)
  let last = 0
  return (progress) => {
    const now = Date.now()
    if (!progress.done && now - last < interval) return
    last = now
    if (stream.isTTY) {
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 70))
      stream.write(`\r${formatProgress(progress, width)}\x1b[K${progress.done ? '\n' : ''}`)
    } else {
      options.logger?.info({ event: 'weights_progress', ...progress }, formatProgress(progress))
    }
  }
}

/**
 * One line describing a download; with `barWidth`, a bar is included.
 * @example formatProgress({ path: 'a', receivedBytes: 5e8, totalBytes: 1e9, bytesPerSecond: 1e8, done: false })
 * // 'a  50.0%  500.0 MB / 1.0 GB  100.0 MB/s  ETA 5s'
 */
export function formatProgress(progress: DownloadProgress, barWidth?: number): string {
  const { path, receivedBytes, totalBytes, bytesPerSecond } = progress
  const parts = [path]
  if (totalBytes) {
    const ratio = Math.min(1, receivedBytes / totalBytes)
    if (barWidth) {
      const filled = Math.round(ratio * barWidth)
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`)
    }
    parts.push(`${(ratio * 100).toFixed(1)}%`, `${formatBytes(receivedBytes)} / ${formatBytes(totalBytes)}`)
  } else {
    parts.push(formatBytes(receivedBytes))
  }
  parts.push(`${formatBytes(bytesPerSecond)}/s`)
  if (totalBytes && bytesPerSecond > 0 && !progress.done) {
    parts.push(`ETA ${Math.ceil((totalBytes - receivedBytes) / bytesPerSecond)}s`)
  }
  return parts.join('  ')
}

/** Bytes in B, KB, MB or GB (powers of 1000, one decimal). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit += 1
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`
}
