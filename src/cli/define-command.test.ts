import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { defineCommand } from './define-command.js';
import { NETWORK_OPTIONS, networkOptions } from './network-options.js';
import { FacenetError } from '../errors.js';

function capture() {
  const chunks: { out: string[]; err: string[] } = { out: [], err: [] };
  const sink = (into: string[]) => new Writable({ write: (c, _e, cb) => (into.push(String(c)), cb()) });
  const io = { stdout: sink(chunks.out), stderr: sink(chunks.err), signal: new AbortController().signal };
  return { io, out: () => chunks.out.join(''), err: () => chunks.err.join('') };
}

const seen: unknown[] = [];
const echo = defineCommand(
  { command: 'echo', summary: 'says what it got', json: 'print {n, words} as JSON', positionals: [{ name: 'words', help: 'words', variadic: true }], flags: { n: { type: 'number', default: 1, help: 'times' }, ...NETWORK_OPTIONS } },
  async ({ flags, positionals }, ctx) => {
    seen.push(networkOptions(flags));
    if (positionals.words[0] === 'bad') throw new FacenetError('BAD_ARGUMENT', 'bad word');
    if (positionals.words[0] === 'io') throw new FacenetError('IO_ERROR', 'disk full');
    if (positionals.words[0] === 'boom') throw new Error('boom');
    ctx.print({ n: flags.n, words: positionals.words }, () => `${positionals.words.join(' ')} x${flags.n}\n`);
    return 0;
  },
);

test('defineCommand: --help lists the spec, the shared network options and --json, and runs nothing', async () => {
  const c = capture();
  seen.length = 0;
  assert.equal(await echo.run(['--help'], c.io), 0);
  assert.match(c.out(), /Usage: facenet echo \[options\] <words>\.\.\./);
  assert.match(c.out(), /--threads <n>\s+libtorch threads \(0: all cores\) \(default: 0\)/);
  assert.match(c.out(), /--json\s+print \{n, words\} as JSON/);
  assert.equal(seen.length, 0);
});

test('defineCommand: text by default, one JSON line with --json; network options reach the run as RuntimeOptions', async () => {
  const a = capture();
  assert.equal(await echo.run(['hi', 'there', '--n', '2', '--threads', '3'], a.io), 0);
  assert.equal(a.out(), 'hi there x2\n');
  assert.deepEqual(seen.at(-1), { threads: 3 });
  const b = capture();
  assert.equal(await echo.run(['hi', '--json'], b.io), 0);
  assert.deepEqual(JSON.parse(b.out()), { n: 1, words: ['hi'] });
  assert.deepEqual(seen.at(-1), { threads: 0 });
});

test('defineCommand: bad arguments exit 2, other FacenetErrors 1, unexpected errors 1 with the stack; all on stderr', async () => {
  for (const [argv, code, pattern] of [
    [['--n', 'x', 'w'], 2, /^facenet echo: option --n expects a number, got 'x'; see facenet echo --help\n$/],
    [['--thread', '2', 'w'], 2, /did you mean --threads\?/],
    [['bad'], 2, /^facenet echo: bad word\n$/],
    [['io'], 1, /^facenet echo: disk full\n$/],
    [['boom'], 1, /^facenet echo: unexpected error: Error: boom\n\s+at /],
  ] as const) {
    const c = capture();
    assert.equal(await echo.run(argv, c.io), code, argv.join(' '));
    assert.match(c.err(), pattern);
    assert.equal(c.out(), '');
  }
});
