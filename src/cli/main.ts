/** `facenet <command> [options]`: dispatches to one file per command and maps errors to exit codes. */
import { COMMANDS } from './commands/index.js';
import { reportError } from './define-command.js';
import type { CliIO } from './command.js';
import { readFileSync } from 'node:fs';

/** The package's version, from its package.json (src/cli/ and dist/cli/ are both two levels below it). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length), 8);
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`);
  return [
    'Usage: facenet <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `facenet help <command>` (or `facenet <command> --help`) for its options, `facenet --version` for the version.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io?: Partial<CliIO>): Promise<number> {
  const stdout = io?.stdout ?? process.stdout;
  const stderr = io?.stderr ?? process.stderr;
  let [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    stdout.write(packageVersion() + '\n');
    return 0;
  }
  if (name === 'help' && rest[0] !== undefined) {
    // `facenet help CMD` is `facenet CMD --help`
    name = rest[0];
    rest = ['--help'];
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    stderr.write(`facenet: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C stops at once
    stderr.write('\nfacenet: interrupted; finishing the current step and saving (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  const ownSignal = !io?.signal;
  if (ownSignal) process.on('SIGINT', onSigint);
  try {
    const command = await entry.load();
    return await command.run(rest, { stdout, stderr, signal: io?.signal ?? controller.signal });
  } catch (e) {
    // Commands report their own errors (defineCommand); this catches a command that fails to load.
    return reportError(name, e, stderr);
  } finally {
    if (ownSignal) process.off('SIGINT', onSigint);
  }
}
