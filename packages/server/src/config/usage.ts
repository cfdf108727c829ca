import { type AnyOption, flagOf, OPTIONS } from './options.js'

function defaultText(option: AnyOption): string {
  if ('defaultText' in option && option.defaultText) return option.defaultText
  const value: unknown = option.default
  if (value === undefined) return '(none)'
  const format = option.type.format as ((v: unknown) => string) | undefined
  return format ? format(value) : String(value)
}

function flagText(option: AnyOption): string {
  return option.type.placeholder ? `${flagOf(option.env)} ${option.type.placeholder}` : flagOf(option.env)
}

function groups(): Map<string, AnyOption[]> {
  const result = new Map<string, AnyOption[]>()
  for (const option of OPTIONS) result.set(option.group, [...(result.get(option.group) ?? []), option])
  return result
}

/**
 * The `--help` text: usage line, then one table per group with flag, environment variable, default and description,
 * generated from {@link OPTIONS}.
 * @example console.log(renderUsage('genimage-server'))
 */
export function renderUsage(program: string): string {
  const rows = OPTIONS.map((option) => [flagText(option), option.env, defaultText(option)] as const)
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)))
  const lines = [
    `Usage: ${program} [options]`,
    '',
    'Every option can also be set through its environment variable; flags win. Booleans: --flag or --flag=false.',
    '',
    `  ${'FLAG'.padEnd(widths[0]!)}  ${'ENV'.padEnd(widths[1]!)}  ${'DEFAULT'.padEnd(widths[2]!)}  DESCRIPTION`,
  ]
  for (const [group, options] of groups()) {
    lines.push('', `${group}:`)
    for (const option of options) {
      const cells = [flagText(option), option.env, defaultText(option)]
      lines.push(`  ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${option.description}`)
    }
  }
  lines.push('', `  ${'--help, -h'.padEnd(widths[0]!)}  Print this help.`)
  lines.push(`  ${'--version, -v'.padEnd(widths[0]!)}  Print the version.`, '')
  return lines.join('\n')
}

/**
 * The same table in Markdown, for `docs/deploy.md` (a test keeps the two in sync).
 * @example renderOptionsMarkdown().startsWith('| Environment | Flag | Default | Description |') // true
 */
export function renderOptionsMarkdown(): string {
  const lines = ['| Environment | Flag | Default | Description |', '|---|---|---|---|']
  for (const [group, options] of groups()) {
    lines.push(`| **${group}** | | | |`)
    for (const option of options) {
      const cells = [`\`${option.env}\``, `\`${flagText(option)}\``, `\`${defaultText(option)}\``, option.description]
      lines.push(`| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`)
    }
  }
  return lines.join('\n')
}
