import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import { chainResolvers, PyGlobal, pyAttributes, resolveBuiltinGlobal, SET_STATE, unpickle, type GlobalResolver } from './pickle.js';

// The same dict pickled by CPython 3 at protocols 0..5:
//   {'a': [1, 2.5, None, True, False], 'b': (b'xy', 'é中'), 'c': {1, 2}, 'big': 2**70, 'neg': -5,
//    'n2': -300, 'n4': 100000, 'nn': -2**40, 't1': (1,), 't3': (1, 2, 3), 'e': (), 'fs': frozenset([7])}
// (generated with base64.b64encode(pickle.dumps(obj, protocol=p))).
const PICKLED: Record<number, string> = {
  0: 'KGRwMApWYQpwMQoobHAyCkkxCmFGMi41CmFOYUkwMQphSTAwCmFzVmIKcDMKKGNfY29kZWNzCmVuY29kZQpwNAooVnh5CnA1ClZsYXRpbjEKcDYKdHA3ClJwOApW6Vx1NGUyZApwOQp0cDEwCnNWYwpwMTEKY19fYnVpbHRpbl9fCnNldApwMTIKKChscDEzCkkxCmFJMgphdHAxNApScDE1CnNWYmlnCnAxNgpMMTE4MDU5MTYyMDcxNzQxMTMwMzQyNEwKc1ZuZWcKcDE3CkktNQpzVm4yCnAxOApJLTMwMApzVm40CnAxOQpJMTAwMDAwCnNWbm4KcDIwCkwtMTA5OTUxMTYyNzc3NkwKc1Z0MQpwMjEKKEkxCnRwMjIKc1Z0MwpwMjMKKEkxCkkyCkkzCnRwMjQKc1ZlCnAyNQoodHNWZnMKcDI2CmNfX2J1aWx0aW5fXwpmcm96ZW5zZXQKcDI3CigobHAyOApJNwphdHAyOQpScDMwCnMu',
  1: 'fXEAKFgBAAAAYXEBXXECKEsBR0AEAAAAAAAATkkwMQpJMDAKZVgBAAAAYnEDKGNfY29kZWNzCmVuY29kZQpxBChYAgAAAHh5cQVYBgAAAGxhdGluMXEGdHEHUnEIWAUAAADDqeS4rXEJdHEKWAEAAABjcQtjX19idWlsdGluX18Kc2V0CnEMKF1xDShLAUsCZXRxDlJxD1gDAAAAYmlncRBMMTE4MDU5MTYyMDcxNzQxMTMwMzQyNEwKWAMAAABuZWdxEUr7////WAIAAABuMnESStT+//9YAgAAAG40cRNKoIYBAFgCAAAAbm5xFEwtMTA5OTUxMTYyNzc3NkwKWAIAAAB0MXEVKEsBdHEWWAIAAAB0M3EXKEsBSwJLA3RxGFgBAAAAZXEZKVgCAAAAZnNxGmNfX2J1aWx0aW5fXwpmcm96ZW5zZXQKcRsoXXEcSwdhdHEdUnEedS4=',
  2: 'gAJ9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABOiIllWAEAAABicQNjX2NvZGVjcwplbmNvZGUKcQRYAgAAAHh5cQVYBgAAAGxhdGluMXEGhnEHUnEIWAUAAADDqeS4rXEJhnEKWAEAAABjcQtjX19idWlsdGluX18Kc2V0CnEMXXENKEsBSwJlhXEOUnEPWAMAAABiaWdxEIoJAAAAAAAAAABAWAMAAABuZWdxEUr7////WAIAAABuMnESStT+//9YAgAAAG40cRNKoIYBAFgCAAAAbm5xFIoGAAAAAAD/WAIAAAB0MXEVSwGFcRZYAgAAAHQzcRdLAUsCSwOHcRhYAQAAAGVxGSlYAgAAAGZzcRpjX19idWlsdGluX18KZnJvemVuc2V0CnEbXXEcSwdhhXEdUnEedS4=',
  3: 'gAN9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABOiIllWAEAAABicQNDAnh5cQRYBQAAAMOp5LitcQWGcQZYAQAAAGNxB2NidWlsdGlucwpzZXQKcQhdcQkoSwFLAmWFcQpScQtYAwAAAGJpZ3EMigkAAAAAAAAAAEBYAwAAAG5lZ3ENSvv///9YAgAAAG4ycQ5K1P7//1gCAAAAbjRxD0qghgEAWAIAAABubnEQigYAAAAAAP9YAgAAAHQxcRFLAYVxElgCAAAAdDNxE0sBSwJLA4dxFFgBAAAAZXEVKVgCAAAAZnNxFmNidWlsdGlucwpmcm96ZW5zZXQKcRddcRhLB2GFcRlScRp1Lg==',
  4: 'gASVnAAAAAAAAAB9lCiMAWGUXZQoSwFHQAQAAAAAAABOiIlljAFilEMCeHmUjAXDqeS4rZSGlIwBY5SPlChLAUsCkIwDYmlnlIoJAAAAAAAAAABAjANuZWeUSvv///+MAm4ylErU/v//jAJuNJRKoIYBAIwCbm6UigYAAAAAAP+MAnQxlEsBhZSMAnQzlEsBSwJLA4eUjAFllCmMAmZzlChLB5GUdS4=',
  5: 'gAWVnAAAAAAAAAB9lCiMAWGUXZQoSwFHQAQAAAAAAABOiIlljAFilEMCeHmUjAXDqeS4rZSGlIwBY5SPlChLAUsCkIwDYmlnlIoJAAAAAAAAAABAjANuZWeUSvv///+MAm4ylErU/v//jAJuNJRKoIYBAIwCbm6UigYAAAAAAP+MAnQxlEsBhZSMAnQzlEsBSwJLA4eUjAFllCmMAmZzlChLB5GUdS4=',
};

const refuseAll: GlobalResolver = () => undefined;

function run(bytes: Uint8Array | number[], resolve: GlobalResolver = resolveBuiltinGlobal, name = 'test.pkl'): unknown {
  return unpickle(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), { fileName: name, resolveGlobal: resolve }).value;
}

function bytesOf(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

test('CPython pickles of protocols 0-5 decode to the same value', () => {
  for (const [protocol, b64] of Object.entries(PICKLED)) {
    const v = run(Buffer.from(b64, 'base64')) as Map<string, unknown>;
    assert.ok(v instanceof Map, `protocol ${protocol}`);
    assert.deepEqual(v.get('a'), [1, 2.5, null, true, false], `protocol ${protocol}`);
    const [b, s] = v.get('b') as [Uint8Array, string];
    assert.deepEqual([...b], [0x78, 0x79], `protocol ${protocol}`);
    assert.equal(s, 'é中', `protocol ${protocol}`);
    assert.deepEqual(v.get('c'), new Set([1, 2]), `protocol ${protocol}`);
    assert.equal(v.get('big'), 2n ** 70n, `protocol ${protocol}`);
    assert.equal(v.get('neg'), -5);
    assert.equal(v.get('n2'), -300);
    assert.equal(v.get('n4'), 100000);
    assert.equal(v.get('nn'), -(2 ** 40), `protocol ${protocol}`);
    assert.deepEqual(v.get('t1'), [1]);
    assert.deepEqual(v.get('t3'), [1, 2, 3]);
    assert.deepEqual(v.get('e'), []);
    assert.deepEqual(v.get('fs'), new Set([7]), `protocol ${protocol}`);
  }
});

test('OrderedDict keeps insertion order and BUILD attributes (_metadata) are tolerated', () => {
  // collections.OrderedDict([('x', 1), ('y', 2)]) at protocol 2
  const od = run(Buffer.from('gAJjY29sbGVjdGlvbnMKT3JkZXJlZERpY3QKcQApUnEBKFgBAAAAeHECSwFYAQAAAHlxA0sCdS4=', 'base64'));
  assert.deepEqual(od, new Map([['x', 1], ['y', 2]]));
  // OrderedDict() ; SETITEM 'k' 1 ; BUILD {'_metadata': {'': {'version': 1}}}
  const withMeta = run(
    bytesOf(
      [0x80, 2],
      'ccollections\nOrderedDict\n)R',
      [0x8c, 1],
      'k',
      [0x4b, 1],
      's}',
      [0x8c, 9],
      '_metadata}',
      [0x8c, 0],
      '}',
      [0x8c, 7],
      'version',
      [0x4b, 1],
      'sssb.',
    ),
  ) as Map<unknown, unknown>;
  assert.deepEqual([...withMeta.entries()], [['k', 1]]);
  const meta = pyAttributes(withMeta)!.get('_metadata') as Map<string, Map<string, number>>;
  assert.equal(meta.get('')!.get('version'), 1);
});

test('a global outside the allow-list is refused before anything runs', () => {
  const expected = 'evil.pkl: refuses to load: the pickle names os.system, which a weights file has no reason to contain';
  // GLOBAL 'os system', then REDUCE ('echo hi',)
  const viaGlobal = bytesOf([0x80, 2], 'cos\nsystem\n', [0x8c, 7], 'echo hi', [0x85], 'R.');
  assert.throws(() => run(viaGlobal, resolveBuiltinGlobal, 'evil.pkl'), (e: unknown) => {
    assert.ok(e instanceof FacenetError);
    assert.equal(e.code, 'BAD_FILE');
    assert.equal(e.message, expected);
    return true;
  });
  // STACK_GLOBAL (protocol 4 spelling)
  const viaStack = bytesOf([0x80, 4, 0x8c, 2], 'os', [0x8c, 6], 'system', [0x93], [0x8c, 2], 'ls', [0x85], 'R.');
  assert.throws(() => run(viaStack, resolveBuiltinGlobal, 'evil.pkl'), { code: 'BAD_FILE', message: expected });
  // INST (protocol 0 spelling)
  const viaInst = bytesOf('(S\'ls\'\nios\nsystem\n.');
  assert.throws(() => run(viaInst, resolveBuiltinGlobal, 'evil.pkl'), { code: 'BAD_FILE', message: expected });
  // even an allow-listed name is refused if the resolver in use does not list it
  assert.throws(() => run(Buffer.from(PICKLED[2]!, 'base64'), refuseAll, 'x.pkl'), /the pickle names _codecs\.encode/);
});

test('custom allow-listed globals: REDUCE, NEWOBJ, BUILD via SET_STATE', () => {
  class Point {
    state: unknown;
    constructor(readonly args: unknown[]) {}
    [SET_STATE](state: unknown): void {
      this.state = state;
    }
  }
  const resolver = chainResolvers(resolveBuiltinGlobal, (module, name) =>
    module === 'geo' && name === 'Point' ? new PyGlobal(module, name, { call: (a) => new Point(a), newObj: (a) => new Point(['new', ...a]) }) : undefined,
  );
  const reduced = run(bytesOf([0x80, 2], 'cgeo\nPoint\n', [0x4b, 3, 0x4b, 4, 0x86], 'R', [0x4b, 9], 'b.'), resolver) as Point;
  assert.ok(reduced instanceof Point);
  assert.deepEqual(reduced.args, [3, 4]);
  assert.equal(reduced.state, 9);
  const created = run(bytesOf([0x80, 2], 'cgeo\nPoint\n', [0x4b, 5, 0x85, 0x81], '.'), resolver) as Point;
  assert.deepEqual(created.args, ['new', 5]);
  // BUILD on something that takes no state
  assert.throws(() => run(bytesOf([0x80, 2, 0x4b, 1, 0x4b, 2], 'b.')), { code: 'BAD_FILE' });
});

test('memo, LONG_BINGET, DUP, POP, BINBYTES, BINFLOAT and shared references', () => {
  const v = run(
    bytesOf(
      [0x80, 2],
      ']',
      [0x72, 7, 0, 0, 0], // LONG_BINPUT 7
      [0x6a, 7, 0, 0, 0], // LONG_BINGET 7 (the same list)
      [0x86], // (list, list)
      [0x42, 3, 0, 0, 0, 1, 2, 3, 0x30], // BINBYTES then POP it
      [0x47, 0xc0, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18], // BINFLOAT -pi
      [0x32, 0x87], // DUP, TUPLE3
      '.',
    ),
  ) as [[unknown[], unknown[]], number, number];
  assert.equal(v[0][0], v[0][1], 'memo returns the same object');
  assert.equal(v[1], -Math.PI);
  assert.equal(v[2], -Math.PI);
});

test('broken pickles fail with BAD_FILE naming the file and the byte', () => {
  const cases: [Uint8Array, RegExp][] = [
    [bytesOf([0x80, 2, 0x58, 0xff, 0xff, 0, 0], 'abc'), /needs 65535 more bytes .*truncated/],
    [bytesOf([0x80, 2, 0xff]), /byte 2: unknown opcode 0xff/],
    [bytesOf([0x80, 2], 's.'), /stack underflow/],
    [bytesOf([0x80, 2, 0x68, 3], '.'), /memo entry 3 was never stored/],
    [bytesOf([0x80, 2], '(N.'), /STOP inside an open MARK/],
    [bytesOf([0x80, 2], 'NN.'), /STOP with 2 values/],
    [bytesOf([0x80, 2], 't.'), /no MARK/],
    [bytesOf([0x80, 2], 'N'), /truncated/],
    [bytesOf([0x80, 2], 'NQ.'), /persistent id/],
    [bytesOf([0x80, 2], 'NNR.'), /not a callable global/],
    [bytesOf([0x80, 2, 0x82, 1], '.'), /extension registry/],
    [bytesOf([0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f]), /truncated/],
    [new Uint8Array(0), /truncated/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => run(bytes, resolveBuiltinGlobal, 'broken.pkl'), (e: unknown) => {
      assert.ok(e instanceof FacenetError, String(e));
      assert.equal(e.code, 'BAD_FILE');
      assert.match(e.message, /^broken\.pkl: /);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

test('consecutive pickles: the result tells where the next one starts', () => {
  const buf = bytesOf([0x80, 2, 0x4b, 1], '.', [0x80, 2, 0x4b, 2], '.');
  const first = unpickle(buf, { fileName: 'x', resolveGlobal: refuseAll });
  assert.deepEqual(first, { value: 1, end: 5 });
  assert.deepEqual(unpickle(buf, { fileName: 'x', resolveGlobal: refuseAll, offset: first.end }), { value: 2, end: 10 });
});
