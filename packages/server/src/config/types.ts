import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { shellWords } from './shell-words.js'

/** What parsing needs besides the raw text. */
export interface ParseContext {
  /** Directory relative paths are resolved against. */
  cwd: string
}

/** How one option's text becomes a typed value. `parse` throws an `Error` whose message says what was expected. */
export interface OptionType<T> {
  /** Parses the raw text (from a flag or an environment variable). */
  parse(raw: string, context: ParseContext): T
  /** Shown in `--help` next to the flag, e.g. `<int>`; absent for switches. */
  placeholder?: string
  /** `true` for switches: `--flag` alone means true. */
  switch?: boolean
  /** Renders a default for `--help`. */
  format?(value: T): string
}

/**
 * An integer within bounds.
 * @example integer(1, 65535).parse('8787', ctx) // 8787
 */
export function integer(min: number, max: number): OptionType<number> {
  return {
    placeholder: '<int>',
    parse(raw) {
      const value = /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw new Error(`expected an integer from ${min} to ${max}`)
      }
      return value
    },
  }
}

/** Any non-empty text. */
export function text(placeholder = '<text>'): OptionType<string> {
  return {
    placeholder,
    parse(raw) {
      if (raw.trim() === '') throw new Error('expected a non-empty value')
      return raw.trim()
    },
  }
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`); as a flag, `--name` alone means true. */
export function boolean(): OptionType<boolean> {
  return {
    switch: true,
    parse(raw) {
      const value = raw.trim().toLowerCase()
      if (['1', 'true', 'yes', 'on'].includes(value)) return true
      if (['0', 'false', 'no', 'off'].includes(value)) return false
      throw new Error('expected true or false')
    },
  }
}

/** One of a fixed set of words. */
export function oneOf<const V extends string>(values: readonly V[], placeholder?: string): OptionType<V> {
  return {
    placeholder: placeholder ?? `<${values.join('|')}>`,
    parse(raw) {
      const value = raw.trim() as V
      if (!values.includes(value)) throw new Error(`expected one of ${values.join(', ')}`)
      return value
    },
  }
}

/** A comma-separated list; blanks are dropped. */
export function list(): OptionType<string[]> {
  return {
    placeholder: '<a,b,…>',
    parse: (raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    format: (value) => (value.length ? value.join(',') : '(empty)'),
  }
}

/** Command-line words with shell-style quoting. */
export function words(): OptionType<string[]> {
  return {
    placeholder: '<args>',
    parse(raw) {
      try {
        return shellWords(raw)
      } catch (error) {
        throw new Error(`expected shell words: ${(error as Error).message}`)
      }
    },
    format: (value) => (value.length ? value.join(' ') : '(none)'),
  }
}

/** An absolute `http:` or `https:` URL; a trailing slash is removed. */
export function httpUrl(): OptionType<string> {
  return {
    placeholder: '<url>',
    parse(raw) {
      let url: URL
      try {
        url = new URL(raw.trim())
      } catch {
        throw new Error('expected an absolute http(s) URL')
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an absolute http(s) URL')
      return url.href.replace(/\/+$/, '')
    },
  }
}

/** A path, resolved against the working directory; nothing is checked (it may be created later). */
export function path(): OptionType<string> {
  return {
    placeholder: '<dir>',
    parse(raw, context) {
      if (raw.trim() === '' || raw.includes('\0')) throw new Error('expected a path')
      return resolve(context.cwd, raw.trim())
    },
  }
}

/** An existing directory, optionally required to contain `file`. */
export function existingDirectory(file?: string, hint?: string): OptionType<string> {
  return {
    placeholder: '<dir>',
    parse(raw, context) {
      const dir = path().parse(raw, context)
      if (!existsSync(dir)) throw new Error('directory does not exist')
      if (!statSync(dir).isDirectory()) throw new Error('not a directory')
      if (file && !existsSync(join(dir, file))) throw new Error(`has no ${file}${hint ? ` (${hint})` : ''}`)
      return dir
    },
  }
}
