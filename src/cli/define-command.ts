/**
 * defineCommand(spec, run): the one opening every `facenet <command>` shares. It parses argv
 * against the spec, answers --help, adds --json, and turns errors into messages and exit codes,
 * so a command file holds only its spec and its work:
 *
 *   export const fooCommand = defineCommand(
 *     { command: 'foo', summary: '…', json: 'print the result as JSON', flags: { ...NETWORK_OPTIONS, n: { type: 'number', help: '…' } } },
 *     async ({ flags, positionals }, ctx) => {
 *       const result = await doFoo(flags.n, networkOptions(flags));
 *       ctx.print(result, () => `did foo ${result.count} times\n`);
 *       return 0;
 *     },
 *   );
 *
 * Exit codes: what run returns; 2 for a FacenetError('BAD_ARGUMENT'), 1 for any other error.
 */
import { parseArgs, formatHelp, type CommandSpec, type ParsedFlags, type ParsedPositionals } from './args.js';
import type { CliIO, Command } from './command.js';
import { FacenetError } from '../errors.js';
import { fsError } from '../io/fs-errors.js';

export interface DefinedSpec extends CommandSpec {
  /** Help text of the --json flag every command gets (what the JSON holds). */
  json?: string;
}

type WithJson<S extends DefinedSpec> = { command: S['command']; flags: S['flags'] & { json: { type: 'boolean'; help: string } }; positionals: S['positionals'] };

export interface CommandArgs<S extends DefinedSpec> {
  flags: ParsedFlags<WithJson<S>>;
  positionals: ParsedPositionals<S>;
  /** argv as given (for commands that must know which flags were written, e.g. train). */
  argv: readonly string[];
}

export interface CommandContext {
  io: CliIO;
  /** --json was given. */
  json: boolean;
  /** Writes `value` as one JSON line with --json, else `text()` (which should end with a newline). */
  print(value: unknown, text: () => string): void;
  /** Prefixes `message` with the command's name on stderr. */
  warn(message: string): void;
}

/** How the CLI reports an error that ends a command: one line on stderr; returns the exit code. */
export function reportError(command: string, e: unknown, stderr: NodeJS.WritableStream): number {
  // A file-system error nobody translated still gets one clear line with the path and the fix.
  const known = e instanceof FacenetError ? e : (fsError(e) ?? missingOptionalPackage(e));
  if (known) {
    stderr.write(`facenet ${command}: ${known.message}\n`);
    return known.code === 'BAD_ARGUMENT' ? 2 : 1;
  }
  stderr.write(`facenet ${command}: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

/**
 * The packages package.json lists as optionalDependencies (a consumer may install without them):
 * a command that needs one that is missing says which to install, instead of a module stack trace.
 */
const OPTIONAL_PACKAGES = ['better-sqlite3', 'pg', 'usearch', 'onnxruntime-node'];

function missingOptionalPackage(e: unknown): FacenetError | null {
  const err = e as { code?: unknown; message?: unknown };
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || typeof err.message !== 'string') return null;
  const name = /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1];
  if (!name || !OPTIONAL_PACKAGES.includes(name)) return null;
  return new FacenetError('NOT_FOUND', `this command needs the optional package ${name}, which is not installed: run \`npm install ${name}\` beside facenet`, { cause: e });
}

export function defineCommand<const S extends DefinedSpec>(
  spec: S,
  run: (args: CommandArgs<S>, ctx: CommandContext) => Promise<number>,
): Command {
  const full: CommandSpec = {
    command: spec.command,
    ...(spec.summary !== undefined ? { summary: spec.summary } : {}),
    ...(spec.positionals !== undefined ? { positionals: spec.positionals } : {}),
    flags: { ...spec.flags, json: { type: 'boolean', help: spec.json ?? 'print the result as JSON on stdout' } },
  };
  return {
    spec: full,
    async run(argv, io) {
      try {
        const parsed = parseArgs(argv, full);
        if (parsed.help) {
          io.stdout.write(formatHelp(full));
          return 0;
        }
        const json = parsed.flags['json'] === true;
        const ctx: CommandContext = {
          io,
          json,
          print: (value, text) => io.stdout.write(json ? JSON.stringify(value) + '\n' : text()),
          warn: (message) => io.stderr.write(`${spec.command}: ${message}\n`),
        };
        const args = { flags: parsed.flags, positionals: parsed.positionals, argv } as unknown as CommandArgs<S>;
        return await run(args, ctx);
      } catch (e) {
        return reportError(spec.command, e, io.stderr);
      }
    },
  };
}
