import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, formatDuration, formatRate, type ProgressOptions } from './progress.js';

function fakeStream(isTTY: boolean, columns = 100) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (s: string) => writes.push(s) } };
}

function setup(opts: Partial<ProgressOptions> & { tty?: boolean; columns?: number } = {}) {
  let now = 1000;
  const { writes, stream } = fakeStream(opts.tty ?? true, opts.columns);
  const bar = new ProgressBar({ label: 'align', total: 100, env: {}, clock: () => now, stream, ...opts });
  return { bar, writes, advance: (ms: number) => (now += ms) };
}

test('formatDuration and formatRate', () => {
  assert.equal(formatDuration(0), '0:00:00');
  assert.equal(formatDuration(61.4), '0:01:01');
  assert.equal(formatDuration(3 * 3600 + 5 * 60 + 7), '3:05:07');
  assert.equal(formatDuration(undefined), '?:??:??');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '?:??:??');
  assert.equal(formatRate(123.4, 'img'), '123 img/s');
  assert.equal(formatRate(12.34, 'it'), '12.3 it/s');
  assert.equal(formatRate(1.234, 'it'), '1.23 it/s');
  assert.equal(formatRate(0.25, 'step'), '4.0 s/step');
  assert.equal(formatRate(0, 'it'), '? it/s');
});

test('auto mode: tty only on a TTY without CI or TERM=dumb', () => {
  const tty = fakeStream(true).stream;
  const pipe = fakeStream(false).stream;
  assert.equal(new ProgressBar({ label: 'x', stream: tty, env: {} }).mode, 'tty');
  assert.equal(new ProgressBar({ label: 'x', stream: pipe, env: {} }).mode, 'plain');
  assert.equal(new ProgressBar({ label: 'x', stream: tty, env: { CI: 'true' } }).mode, 'plain');
  assert.equal(new ProgressBar({ label: 'x', stream: tty, env: { CI: 'false' } }).mode, 'tty');
  assert.equal(new ProgressBar({ label: 'x', stream: tty, env: { TERM: 'dumb' } }).mode, 'plain');
  assert.equal(new ProgressBar({ label: 'x', stream: pipe, env: {}, mode: 'tty' }).mode, 'tty');
});

test('tty: redraws in place, throttled to the redraw interval, with rate, ETA and fields', () => {
  const { bar, writes, advance } = setup();
  bar.update(10, { loss: 0.123456 });
  assert.equal(writes.length, 1, 'first update draws');
  for (let i = 0; i < 9; i++) {
    advance(10);
    bar.tick(1);
  }
  assert.equal(writes.length, 1, 'updates within 100 ms do not redraw');
  advance(100);
  bar.tick(1, { loss: 0.5 });
  assert.equal(writes.length, 2);
  const line = writes[1] as string;
  assert.ok(line.startsWith('\r') && line.endsWith('\x1b[K'), JSON.stringify(line));
  assert.match(line, /^\ralign \[#+-+\] 20\/100 20\.0% /);
  assert.match(line, / it\/s ETA \d:\d\d:\d\d loss=0\.5/);
});

test('rate is smoothed over time and ETA follows it', () => {
  const { bar, advance } = setup({ smoothingSeconds: 2 });
  // 10 items/s for 5 s.
  for (let i = 0; i < 50; i++) {
    advance(100);
    bar.tick();
  }
  assert.ok(Math.abs(bar.rate - 10) < 0.01, String(bar.rate));
  assert.ok(Math.abs((bar.etaSeconds ?? 0) - 5) < 0.01);
  // A sudden jump to 100 items/s moves the rate toward it, not all the way at once.
  advance(200);
  bar.update(70);
  assert.ok(bar.rate > 10 && bar.rate < 100, String(bar.rate));
});

test('plain mode: one line per interval, no carriage returns, summary on finish', () => {
  const { bar, writes, advance } = setup({ tty: false, plainIntervalMs: 5000 });
  assert.equal(bar.mode, 'plain');
  for (let i = 1; i <= 100; i++) {
    advance(100); // 10 s in all
    bar.update(i, { loss: 1 / i });
  }
  assert.equal(writes.length, 2);
  assert.ok(writes.every((w) => !w.includes('\r') && !w.includes('\x1b') && w.endsWith('\n')));
  assert.match(writes[0] as string, /^align 50\/100 50\.0% 10\.0 it\/s ETA 0:00:05 loss=0\.02\n$/);
  bar.finish();
  assert.equal(writes.length, 3);
  assert.equal(writes[2], 'align done: 100/100 in 0:00:10 (10.0 it/s) loss=0.01\n');
  bar.finish();
  bar.update(5);
  assert.equal(writes.length, 3, 'finish is final and idempotent');
});

test('tty finish ends the line; log prints above the bar', () => {
  const { bar, writes, advance } = setup();
  bar.update(1);
  bar.log('found 3 faces');
  assert.equal(writes[1], '\r\x1b[Kfound 3 faces\n');
  assert.ok((writes[2] as string).startsWith('\ralign'), 'bar redrawn after the message');
  advance(2000);
  bar.finish({ faces: 3 });
  assert.equal(writes.at(-1), '\ralign stopped: 1/100 in 0:00:02 (2.0 s/it) faces=3\x1b[K\n');
});

test('unknown total: count and rate only; narrow terminal: no bar and no wrapping', () => {
  const { bar, writes } = setup({ total: undefined });
  bar.update(7);
  assert.equal(writes[0], '\ralign 7 ? it/s\x1b[K'); // no time has passed yet: rate unknown

  const narrow = setup({ columns: 30 });
  narrow.bar.update(5, { lr: 0.05 });
  const drawn = (narrow.writes[0] as string).replace('\r', '').replace('\x1b[K', '');
  assert.ok(drawn.length < 30, drawn);
  assert.ok(!drawn.includes('['), 'no room for the bar');
});

test('never throws: broken stream, broken clock, bad numbers', () => {
  let calls = 0;
  const bad = {
    isTTY: true,
    write: () => {
      calls++;
      throw new Error('EPIPE');
    },
  };
  const bar = new ProgressBar({
    label: 'x',
    total: Number.NaN,
    stream: bad,
    env: {},
    clock: () => {
      throw new Error('clock');
    },
  });
  assert.doesNotThrow(() => {
    bar.update(1);
    bar.update(Number.NaN);
    bar.tick(Number.POSITIVE_INFINITY);
    bar.setTotal(-5);
    bar.log('x');
    bar.finish({ v: Number.NaN });
  });
  assert.equal(calls, 1, 'a stream that failed once is not written again');

  // An 'error' event (EPIPE) is absorbed and silences the bar; the listener is removed at finish.
  const listeners: ((e: Error) => void)[] = [];
  const writes: string[] = [];
  const evented = {
    isTTY: false,
    write: (s: string) => writes.push(s),
    on: (_: 'error', l: (e: Error) => void) => listeners.push(l),
    off: (_: 'error', l: (e: Error) => void) => listeners.splice(listeners.indexOf(l), 1),
  };
  const b2 = new ProgressBar({ label: 'y', stream: evented, env: {} });
  assert.equal(listeners.length, 1);
  listeners[0]?.(new Error('EPIPE'));
  b2.finish();
  assert.deepEqual(writes, []);
  assert.equal(listeners.length, 0);
});
