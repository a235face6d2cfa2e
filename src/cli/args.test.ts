import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import { formatHelp, parseArgs, toKebab, type CommandSpec } from './args.js';

const align = {
  command: 'align',
  summary: 'Detect, crop and resize every face in a class-per-folder tree.',
  flags: {
    imageSize: { type: 'number', default: 182, integer: true, min: 1, help: 'side of the output square' },
    margin: { type: 'number', default: 44, help: 'pixels added around the box, in total per axis' },
    lr: { type: 'number', help: 'a learning rate (no default)' },
    randomOrder: { type: 'boolean', help: 'shuffle the processing order' },
    detectMultipleFaces: { type: 'boolean', default: true, help: 'write every face' },
    optimizer: { type: 'string', choices: ['ADAGRAD', 'ADAM'], default: 'ADAGRAD', help: 'optimiser' },
    model: { type: 'string', short: 'm', help: 'model name or path' },
    exclude: { type: 'string[]', help: 'class names to skip' },
  },
  positionals: [
    { name: 'inputDir', help: 'folder of raw images' },
    { name: 'outputDir', help: 'where aligned PNGs go' },
  ],
} as const satisfies CommandSpec;

function badArg(...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof FacenetError, String(err));
    assert.equal(err.code, 'BAD_ARGUMENT');
    for (const f of fragments) assert.ok(err.message.includes(f), `'${err.message}' should mention '${f}'`);
    return true;
  };
}

test('defaults and typed results', () => {
  const r = parseArgs(['in', 'out'], align);
  assert.deepEqual(r.flags, {
    imageSize: 182,
    margin: 44,
    lr: undefined,
    randomOrder: false,
    detectMultipleFaces: true,
    optimizer: 'ADAGRAD',
    model: undefined,
    exclude: [],
  });
  assert.deepEqual(r.positionals, { inputDir: 'in', outputDir: 'out' });
  assert.equal(r.help, false);
  // Compile-time: these types are inferred from the spec.
  const size: number = r.flags.imageSize;
  const lr: number | undefined = r.flags.lr;
  const opt: 'ADAGRAD' | 'ADAM' = r.flags.optimizer;
  const ex: string[] = r.flags.exclude;
  const input: string = r.positionals.inputDir;
  assert.ok(size && lr === undefined && opt && ex && input);
});

test('--flag value, --flag=value, snake_case alias, short option, --no-flag, repeated flags', () => {
  const r = parseArgs(
    [
      '--image-size', '160',
      '--margin=32',
      'in',
      '--random_order',
      '--no-detect-multiple-faces',
      '-m', 'vggface2',
      '--exclude', 'Alice', '--exclude=Bob',
      '--optimizer', 'ADAM',
      '--margin', '30', // last one wins
      'out',
    ],
    align,
  );
  assert.equal(r.flags.imageSize, 160);
  assert.equal(r.flags.margin, 30);
  assert.equal(r.flags.randomOrder, true);
  assert.equal(r.flags.detectMultipleFaces, false);
  assert.equal(r.flags.model, 'vggface2');
  assert.deepEqual(r.flags.exclude, ['Alice', 'Bob']);
  assert.equal(r.flags.optimizer, 'ADAM');
  assert.deepEqual(r.positionals, { inputDir: 'in', outputDir: 'out' });
  assert.equal(parseArgs(['a', 'b', '-mfacenet'], align).flags.model, 'facenet');
  assert.equal(parseArgs(['a', 'b', '--random-order=false'], align).flags.randomOrder, false);
});

test('negative numbers are values for number flags and arguments after --', () => {
  const r = parseArgs(['--lr', '-1', '--', '--weird-dir', '-x'], align);
  assert.equal(r.flags.lr, -1);
  assert.deepEqual(r.positionals, { inputDir: '--weird-dir', outputDir: '-x' });
  assert.equal(parseArgs(['--lr=-0.5e-2', 'a', 'b'], align).flags.lr, -0.005);
});

test('unknown option: the message names the command, suggests, and points at --help', () => {
  assert.throws(
    () => parseArgs(['in', 'out', '--xyz'], align),
    (err: unknown) => {
      assert.ok(err instanceof FacenetError);
      assert.equal(err.code, 'BAD_ARGUMENT');
      assert.equal(err.message, 'unknown option --xyz for `facenet align`; see facenet align --help');
      return true;
    },
  );
  assert.throws(() => parseArgs(['--imagesize', '1'], align), badArg('unknown option --imagesize', 'did you mean --image-size?'));
  assert.throws(() => parseArgs(['--image', '1'], align), badArg('did you mean --image-size?'));
  assert.throws(() => parseArgs(['-q'], align), badArg('unknown option -q for `facenet align`'));
});

test('value errors are specific', () => {
  assert.throws(() => parseArgs(['--image-size', 'big', 'a', 'b'], align), badArg("--image-size expects a number, got 'big'"));
  assert.throws(() => parseArgs(['--image-size', '1.5', 'a', 'b'], align), badArg('whole number'));
  assert.throws(() => parseArgs(['--image-size', '0', 'a', 'b'], align), badArg('at least 1'));
  assert.throws(() => parseArgs(['--image-size=', 'a', 'b'], align), badArg('expects a number'));
  assert.throws(() => parseArgs(['a', 'b', '--model'], align), badArg('--model needs a value'));
  assert.throws(() => parseArgs(['a', 'b', '--model', '--margin', '3'], align), badArg('--model needs a value'));
  assert.throws(() => parseArgs(['a', 'b', '--optimizer', 'SGD'], align), badArg('one of ADAGRAD, ADAM', "'SGD'"));
  assert.throws(() => parseArgs(['a', 'b', '--random-order=maybe'], align), badArg('on/off'));
  assert.throws(() => parseArgs(['a', 'b', '--no-margin'], align), badArg('--no-margin', 'only on/off options'));
  assert.throws(() => parseArgs(['a', 'b', '--no-random-order=1'], align), badArg('takes no value'));
});

test('positional errors: missing and unexpected', () => {
  assert.throws(() => parseArgs(['in'], align), badArg('missing argument <output-dir> for `facenet align`', 'see facenet align --help'));
  assert.throws(() => parseArgs(['a', 'b', 'c'], align), badArg("unexpected argument 'c'", '<input-dir> <output-dir>'));
  const none = { command: 'version', flags: {} } as const satisfies CommandSpec;
  assert.throws(() => parseArgs(['x'], none), badArg('takes no arguments'));
});

test('--help skips required checks', () => {
  const r = parseArgs(['--help'], align);
  assert.equal(r.help, true);
  assert.equal(parseArgs(['-h', 'extra', 'args', 'too', 'many'], align).help, true);
});

test('optional, variadic positionals and required flags', () => {
  const compare = {
    command: 'compare',
    flags: { model: { type: 'string', required: true, help: 'model to use' } },
    positionals: [
      { name: 'first', help: 'an image' },
      { name: 'images', help: 'more images', variadic: true },
    ],
  } as const satisfies CommandSpec;
  const r = parseArgs(['--model', 'm', 'a.jpg', 'b.jpg', 'c.jpg'], compare);
  const model: string = r.flags.model;
  const images: string[] = r.positionals.images;
  assert.equal(model, 'm');
  assert.equal(r.positionals.first, 'a.jpg');
  assert.deepEqual(images, ['b.jpg', 'c.jpg']);
  assert.throws(() => parseArgs(['a.jpg', 'b.jpg'], compare), badArg('option --model is required'));
  assert.throws(() => parseArgs(['--model', 'm', 'a.jpg'], compare), badArg('missing argument <images>'));

  const opt = {
    command: 'x',
    flags: {},
    positionals: [{ name: 'dir', help: 'folder', required: false }],
  } as const satisfies CommandSpec;
  const o = parseArgs([], opt);
  const dir: string | undefined = o.positionals.dir;
  assert.equal(dir, undefined);
});

test('the default of a string[] flag is replaced by explicit values, and never shared', () => {
  const spec = {
    command: 'x',
    flags: { ext: { type: 'string[]', default: ['jpg'], help: 'extensions' } },
  } as const satisfies CommandSpec;
  const a = parseArgs([], spec);
  a.flags.ext.push('png');
  assert.deepEqual(parseArgs([], spec).flags.ext, ['jpg']);
  assert.deepEqual(parseArgs(['--ext', 'png', '--ext', 'gif'], spec).flags.ext, ['png', 'gif']);
});

test('formatHelp lists usage, arguments, options with defaults', () => {
  const help = formatHelp(align);
  assert.match(help, /^Usage: facenet align \[options\] <input-dir> <output-dir>\n/);
  assert.match(help, /Detect, crop and resize/);
  assert.match(help, /\n  <input-dir> +folder of raw images\n/);
  assert.match(help, /--image-size <n> +side of the output square \(default: 182\)/);
  assert.match(help, /-m, --model <value> +model name or path\n/);
  assert.match(help, /--optimizer ADAGRAD\|ADAM +optimiser \(default: ADAGRAD\)/);
  assert.match(help, /--detect-multiple-faces +write every face \(on by default;\s+--no-detect-multiple-faces turns it off\)/);
  assert.match(help, /--exclude <value> +class names to skip \(repeatable\)/);
  assert.match(help, /-h, --help +show this help/);
  for (const line of help.split('\n')) assert.ok(line.length <= 80, `too long: ${line}`);
});

test('toKebab', () => {
  assert.equal(toKebab('imageSize'), 'image-size');
  assert.equal(toKebab('lfwNrofFolds'), 'lfw-nrof-folds');
  assert.equal(toKebab('use_fixed_image_standardization'), 'use-fixed-image-standardization');
  assert.equal(toKebab('gpu2Fraction'), 'gpu2-fraction');
});
