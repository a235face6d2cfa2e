/**
 * A small typed argument parser for the `facenet <command>` CLI.
 *
 * Not node:util's parseArgs: it has no number options, no `--no-x` on Node 20, and its errors
 * ("Unknown option '--lr'") do not say which command was run or what was probably meant. Here
 * every mistake is a FacenetError('BAD_ARGUMENT') naming the command and pointing at its --help.
 *
 * Spec keys are camelCase (`imageSize`); on the command line they are kebab-case
 * (`--image-size`). The snake_case spelling of facenet's Python scripts (`--image_size`) is
 * accepted too, so commands copied from facenet's docs keep working.
 */

import { FacenetError } from '../errors.js';

interface FlagSpecBase {
  help: string;
  /** One-letter alias, used as `-x`. */
  short?: string;
  /** Placeholder shown in help (default from the type: <n>, <value>). */
  valueName?: string;
  /** Missing on the command line is an error. */
  required?: boolean;
}

export interface StringFlagSpec extends FlagSpecBase {
  type: 'string';
  default?: string;
  choices?: readonly string[];
}
export interface NumberFlagSpec extends FlagSpecBase {
  type: 'number';
  default?: number;
  integer?: boolean;
  min?: number;
  max?: number;
}
export interface BooleanFlagSpec extends FlagSpecBase {
  type: 'boolean';
  /** Default false. */
  default?: boolean;
}
export interface StringListFlagSpec extends FlagSpecBase {
  type: 'string[]';
  /** Repeating the flag appends; the default (empty) is replaced by the first use. */
  default?: readonly string[];
}

export type FlagSpec = StringFlagSpec | NumberFlagSpec | BooleanFlagSpec | StringListFlagSpec;

export interface PositionalSpec {
  name: string;
  help: string;
  /** Default true. */
  required?: boolean;
  /** Takes all remaining arguments (last positional only). */
  variadic?: boolean;
}

export interface CommandSpec {
  /** The sub-command, e.g. 'align' for `facenet align`. */
  command: string;
  summary?: string;
  flags: Record<string, FlagSpec>;
  positionals?: readonly PositionalSpec[];
}

type FlagValue<F> = F extends { type: 'string'; choices: readonly (infer C)[] }
  ? C
  : F extends { type: 'string' }
    ? string
    : F extends { type: 'number' }
      ? number
      : F extends { type: 'boolean' }
        ? boolean
        : string[];

type AlwaysSet<F> = F extends { type: 'boolean' } | { type: 'string[]' } | { default: unknown } | { required: true }
  ? true
  : false;

export type ParsedFlags<S extends CommandSpec> = {
  -readonly [K in keyof S['flags']]: AlwaysSet<S['flags'][K]> extends true
    ? FlagValue<S['flags'][K]>
    : FlagValue<S['flags'][K]> | undefined;
};

type PositionalList<S extends CommandSpec> = S['positionals'] extends readonly PositionalSpec[]
  ? S['positionals'][number]
  : never;

export type ParsedPositionals<S extends CommandSpec> = {
  -readonly [P in PositionalList<S> as P['name']]: P extends { variadic: true }
    ? string[]
    : P extends { required: false }
      ? string | undefined
      : string;
};

export interface ParsedArgs<S extends CommandSpec> {
  flags: ParsedFlags<S>;
  positionals: ParsedPositionals<S>;
  /** True when -h/--help was given; required options and arguments are not checked then. */
  help: boolean;
}

/** `imageSize` -> `image-size`. */
export function toKebab(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
}

interface Lookup {
  byLong: Map<string, string>; // 'image-size' and 'image_size' -> 'imageSize'
  byShort: Map<string, string>;
}

function buildLookup(spec: CommandSpec): Lookup {
  const byLong = new Map<string, string>();
  const byShort = new Map<string, string>();
  for (const [key, f] of Object.entries(spec.flags)) {
    const kebab = toKebab(key);
    byLong.set(kebab, key);
    byLong.set(kebab.replace(/-/g, '_'), key);
    if (f.short) byShort.set(f.short, key);
  }
  return { byLong, byShort };
}

/**
 * Parses `argv` (without the node, script and command words) against `spec`.
 *
 * Accepted forms: `--flag value`, `--flag=value`, `-f value`, `--bool`, `--no-bool`,
 * `--bool=true|false`, repeated `--list a --list b`, and `--` after which everything is
 * positional. A repeated single-value flag keeps its last value. A number flag takes a negative
 * value (`--lr -1`); any other flag refuses a value that starts with `--`.
 */
export function parseArgs<const S extends CommandSpec>(argv: readonly string[], spec: S): ParsedArgs<S> {
  const lookup = buildLookup(spec);
  const cmd = `facenet ${spec.command}`;
  const bad = (msg: string): FacenetError => new FacenetError('BAD_ARGUMENT', `${msg}; see ${cmd} --help`);

  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const rest: string[] = [];
  let help = false;

  const setValue = (key: string, f: FlagSpec, raw: string, shown: string): void => {
    given.add(key);
    switch (f.type) {
      case 'string':
        if (f.choices && !f.choices.includes(raw)) {
          throw bad(`option ${shown} must be one of ${f.choices.join(', ')}, got '${raw}'`);
        }
        values[key] = raw;
        return;
      case 'number': {
        const n = raw.trim() === '' ? Number.NaN : Number(raw);
        if (!Number.isFinite(n)) throw bad(`option ${shown} expects a number, got '${raw}'`);
        if (f.integer && !Number.isInteger(n)) throw bad(`option ${shown} expects a whole number, got '${raw}'`);
        if (f.min !== undefined && n < f.min) throw bad(`option ${shown} must be at least ${f.min}, got ${raw}`);
        if (f.max !== undefined && n > f.max) throw bad(`option ${shown} must be at most ${f.max}, got ${raw}`);
        values[key] = n;
        return;
      }
      case 'boolean': {
        const v = parseBool(raw);
        if (v === undefined) throw bad(`option ${shown} is on/off; use ${shown} or --no-${toKebab(key)}, not '${raw}'`);
        values[key] = v;
        return;
      }
      case 'string[]': {
        const list = Array.isArray(values[key]) ? (values[key] as string[]) : [];
        list.push(raw);
        values[key] = list;
        return;
      }
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    let key: string | undefined;
    let shown: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      shown = `--${name}`;
      key = lookup.byLong.get(name);
      if (key === undefined && /^no[-_]/.test(name)) {
        const positive = lookup.byLong.get(name.slice(3));
        const f = positive === undefined ? undefined : spec.flags[positive];
        if (positive !== undefined && f) {
          if (f.type !== 'boolean') throw bad(`${shown}: only on/off options have a --no- form, and --${toKebab(positive)} is not one`);
          if (inline !== undefined) throw bad(`${shown} takes no value`);
          given.add(positive);
          values[positive] = false;
          continue;
        }
      }
      if (key === undefined) throw unknownOption(shown, spec, cmd);
    } else if (arg.startsWith('-') && arg.length > 1 && !isNumberLike(arg)) {
      // Short options: '-n 5' or '-n5' for valued flags; bundles of booleans are not supported.
      shown = arg.slice(0, 2);
      key = lookup.byShort.get(arg.slice(1, 2));
      if (key === undefined) throw unknownOption(shown, spec, cmd);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      rest.push(arg);
      continue;
    }

    const f = spec.flags[key] as FlagSpec;
    if (f.type === 'boolean') {
      setValue(key, f, inline ?? 'true', shown);
      continue;
    }
    if (inline !== undefined) {
      setValue(key, f, inline, shown);
      continue;
    }
    const next = argv[i + 1];
    const takesNext =
      next !== undefined && next !== '--' && (!next.startsWith('--') || (f.type === 'number' && isNumberLike(next)));
    if (!takesNext) throw bad(`option ${shown} needs a value (${placeholder(f)})`);
    setValue(key, f, next, shown);
    i++;
  }

  // Defaults, then required checks.
  const flags: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec.flags)) {
    if (given.has(key)) flags[key] = values[key];
    else if (f.type === 'boolean') flags[key] = f.default ?? false;
    else if (f.type === 'string[]') flags[key] = [...(f.default ?? [])];
    else flags[key] = f.default;
    if (!help && f.required && !given.has(key)) {
      throw bad(`option --${toKebab(key)} is required for \`${cmd}\` (${f.help})`);
    }
  }

  const positionals: Record<string, unknown> = {};
  const pspecs = spec.positionals ?? [];
  let at = 0;
  for (const p of pspecs) {
    if (p.variadic) {
      positionals[p.name] = rest.slice(at);
      if (!help && p.required !== false && at >= rest.length) throw bad(`missing argument <${toKebab(p.name)}> for \`${cmd}\``);
      at = rest.length;
      break;
    }
    if (at < rest.length) positionals[p.name] = rest[at++];
    else {
      positionals[p.name] = undefined;
      if (!help && p.required !== false) throw bad(`missing argument <${toKebab(p.name)}> for \`${cmd}\` (${p.help})`);
    }
  }
  if (!help && at < rest.length) {
    const expected =
      pspecs.length === 0 ? 'it takes no arguments' : `it takes ${pspecs.map((p) => `<${toKebab(p.name)}>`).join(' ')}`;
    throw bad(`unexpected argument '${rest[at]}' for \`${cmd}\`: ${expected}`);
  }

  return { flags: flags as ParsedFlags<S>, positionals: positionals as ParsedPositionals<S>, help };
}

function unknownOption(shown: string, spec: CommandSpec, cmd: string): FacenetError {
  const guess = suggest(shown, spec);
  const hint = guess ? ` (did you mean ${guess}?)` : '';
  return new FacenetError('BAD_ARGUMENT', `unknown option ${shown} for \`${cmd}\`${hint}; see ${cmd} --help`);
}

/** The closest known long option within edit distance 2 (or a prefix match), if any. */
function suggest(shown: string, spec: CommandSpec): string | undefined {
  if (!shown.startsWith('--')) return undefined;
  const name = shown.slice(2).replace(/_/g, '-').toLowerCase();
  let best: string | undefined;
  let bestDist = 3;
  for (const key of Object.keys(spec.flags)) {
    const cand = toKebab(key);
    const d = cand.startsWith(name) && name.length >= 3 ? 1 : editDistance(name, cand);
    if (d < bestDist) {
      bestDist = d;
      best = `--${cand}`;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function parseBool(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  return undefined;
}

function isNumberLike(s: string): boolean {
  return /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s);
}

function placeholder(f: FlagSpec): string {
  if (f.valueName) return `<${f.valueName}>`;
  if (f.type === 'number') return '<n>';
  if (f.type === 'string' && f.choices) return f.choices.join('|');
  return '<value>';
}

/** Usage text for `facenet <command> --help`, wrapped to `width` columns. */
export function formatHelp(spec: CommandSpec, width = 80): string {
  const cmd = `facenet ${spec.command}`;
  const pspecs = spec.positionals ?? [];
  const usageArgs = pspecs.map((p) => {
    const name = `<${toKebab(p.name)}>${p.variadic ? '...' : ''}`;
    return p.required === false ? `[${name}]` : name;
  });
  const lines: string[] = [`Usage: ${[cmd, '[options]', ...usageArgs].join(' ')}`];
  if (spec.summary) lines.push('', ...wrap(spec.summary, width));

  const rows: [string, string][] = [];
  if (pspecs.length > 0) {
    lines.push('', 'Arguments:');
    const argRows: [string, string][] = pspecs.map((p) => [`<${toKebab(p.name)}>${p.variadic ? '...' : ''}`, p.help]);
    lines.push(...table(argRows, width));
  }
  for (const [key, f] of Object.entries(spec.flags)) {
    const long = `--${toKebab(key)}`;
    const names = f.short ? `-${f.short}, ${long}` : `    ${long}`;
    const left = f.type === 'boolean' ? names : `${names} ${placeholder(f)}`;
    rows.push([left, f.help + describeDefault(key, f)]);
  }
  rows.push(['-h, --help', 'show this help']);
  lines.push('', 'Options:', ...table(rows, width));
  return lines.join('\n') + '\n';
}

function describeDefault(key: string, f: FlagSpec): string {
  const notes: string[] = [];
  if (f.required) notes.push('required');
  switch (f.type) {
    case 'boolean':
      if (f.default === true) notes.push(`on by default; --no-${toKebab(key)} turns it off`);
      break;
    case 'string[]':
      notes.push('repeatable');
      if (f.default && f.default.length > 0) notes.push(`default: ${f.default.join(', ')}`);
      break;
    default:
      if (f.default !== undefined) notes.push(`default: ${String(f.default)}`);
  }
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

function table(rows: [string, string][], width: number): string[] {
  const leftWidth = Math.min(32, Math.max(...rows.map(([l]) => l.length)));
  const out: string[] = [];
  const indent = 2 + leftWidth + 2;
  for (const [left, right] of rows) {
    const body = wrap(right, Math.max(20, width - indent));
    if (left.length > leftWidth) {
      out.push(`  ${left}`);
      for (const b of body) out.push(' '.repeat(indent) + b);
    } else {
      body.forEach((b, i) => out.push(i === 0 ? `  ${left.padEnd(leftWidth)}  ${b}` : ' '.repeat(indent) + b));
      if (body.length === 0) out.push(`  ${left}`);
    }
  }
  return out;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) out.push(line);
  return out;
}
