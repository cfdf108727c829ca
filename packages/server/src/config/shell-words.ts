/**
 * Splits a command-line string into words like a POSIX shell does for quoting: single quotes, double quotes and
 * backslash escapes; no variables or globs. Throws on an unterminated quote.
 * @example shellWords(`--highvram --output-directory "/data/out dir"`) // ['--highvram', '--output-directory', '/data/out dir']
 */
export function shellWords(input: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && i + 1 < input.length && '"\\$`'.includes(input[i + 1]!)) word += input[++i]
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < input.length) {
      word += input[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`)
  if (inWord) words.push(word)
  return words
}
