import type { Readable } from 'node:stream'

/**
 * Calls `onLine` for each line of `stream`, splitting on `\n`, `\r\n` and bare `\r` (tqdm progress bars),
 * skipping blank lines and cutting lines longer than `maxLength` characters.
 * @example forwardLines(child.stdout, (line) => logger.info(line))
 */
export function forwardLines(stream: Readable, onLine: (line: string) => void, maxLength = 8192): void {
  let pending = ''
  const emit = (line: string) => {
    const trimmed = line.trimEnd()
    if (trimmed) onLine(trimmed.length > maxLength ? `${trimmed.slice(0, maxLength)}…` : trimmed)
  }
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const parts = (pending + chunk).split(/\r\n|\n|\r/)
    pending = parts.pop() ?? ''
    for (const part of parts) emit(part)
    if (pending.length > maxLength) {
      emit(pending)
      pending = ''
    }
  })
  stream.on('end', () => {
    emit(pending)
    pending = ''
  })
}
