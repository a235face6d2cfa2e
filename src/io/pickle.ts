/**
 * A minimal, safe Python pickle virtual machine, enough for the pickles inside torch.save files and
 * numpy object arrays.
 *
 * Why safe: a real unpickler imports and calls whatever module.name the pickle names, so loading a
 * downloaded weights file could run arbitrary code. Here nothing in the file is ever executed:
 * GLOBAL/STACK_GLOBAL/INST go through an allow-list (`resolveGlobal`) that maps a few known names to
 * small TypeScript re-implementations, and any other name stops the load with BAD_FILE before any
 * REDUCE happens. Every read is bounds-checked, so truncated or random bytes end in BAD_FILE too.
 *
 * Python values map to JS as: None -> null, bool -> boolean, int -> number (bigint beyond 2^53),
 * float -> number, str -> string (Python 2 byte strings decoded as latin-1, as numpy and torch load
 * them), bytes -> Uint8Array, tuple and list -> Array, dict -> Map, set -> Set.
 */

import { FacenetError } from '../errors.js';

/** Implementation of an allow-listed Python global. */
export interface GlobalBehaviour {
  /** REDUCE, INST and OBJ: call the global with positional arguments. */
  call?(args: unknown[]): unknown;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`. */
  newObj?(args: unknown[]): unknown;
}

/** A module-level Python name that the allow-list accepted. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly behaviour: GlobalBehaviour = {},
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Objects created by allow-listed globals implement this to receive BUILD's state (`__setstate__`). */
export const SET_STATE: unique symbol = Symbol('pickle.setState');

export interface Stateful {
  [SET_STATE](state: unknown): void;
}

/** Maps module + name to an allowed global, or undefined to refuse it. */
export type GlobalResolver = (module: string, name: string) => PyGlobal | undefined;

export interface UnpickleOptions {
  /** Used in every error message. */
  fileName: string;
  resolveGlobal: GlobalResolver;
  /** Handles BINPERSID / PERSID; without it a persistent id is a BAD_FILE. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Where the pickle starts in `buf` (several pickles can follow each other). */
  offset?: number;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode. */
  end: number;
}

/** Instance attributes set by BUILD on dicts (OrderedDict's `_metadata` in torch state_dicts). */
const dictAttributes = new WeakMap<Map<unknown, unknown>, Map<string, unknown>>();

/** Attributes a pickle attached to a dict (e.g. a state_dict's `_metadata`), if any. */
export function pyAttributes(dict: Map<unknown, unknown>): ReadonlyMap<string, unknown> | undefined {
  return dictAttributes.get(dict);
}

/** The error for a global outside the allow-list. */
export function refuseGlobal(fileName: string, module: string, name: string): FacenetError {
  return new FacenetError(
    'BAD_FILE',
    `${fileName}: refuses to load: the pickle names ${module}.${name}, which a weights file has no reason to contain`,
  );
}

/** Tries each resolver in turn. */
export function chainResolvers(...resolvers: GlobalResolver[]): GlobalResolver {
  return (module, name) => {
    for (const r of resolvers) {
      const g = r(module, name);
      if (g) return g;
    }
    return undefined;
  };
}

function iterableItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value.keys()];
  if (typeof value === 'string') return [...value];
  throw new Error(`expected an iterable, got ${describe(value)}`);
}

function dictFrom(args: unknown[]): Map<unknown, unknown> {
  const d = new Map<unknown, unknown>();
  const src = args[0];
  if (src instanceof Map) for (const [k, v] of src) d.set(k, v);
  else if (src !== undefined) {
    for (const pair of iterableItems(src)) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error('dict() items must be pairs');
      d.set(pair[0], pair[1]);
    }
  }
  return d;
}

function encodeString(args: unknown[]): Uint8Array {
  const [s, enc] = args;
  if (args.length === 0) return new Uint8Array(0);
  if (typeof s !== 'string') throw new Error(`expected a str to encode, got ${describe(s)}`);
  const e = typeof enc === 'string' ? enc.toLowerCase().replace('_', '-') : 'utf-8';
  if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') return new Uint8Array(Buffer.from(s, 'latin1'));
  if (e === 'utf-8' || e === 'utf8') return new Uint8Array(Buffer.from(s, 'utf8'));
  throw new Error(`unsupported string encoding ${String(enc)}`);
}

/**
 * Harmless Python builtins that pickles of plain containers need (protocol 2 spells bytes as
 * `_codecs.encode(str, 'latin1')`, sets as `builtins.set([...])`, OrderedDict as a call).
 */
export function resolveBuiltinGlobal(module: string, name: string): PyGlobal | undefined {
  const g = (behaviour: GlobalBehaviour): PyGlobal => new PyGlobal(module, name, behaviour);
  const builtins = module === 'builtins' || module === '__builtin__';
  if (module === 'collections' && name === 'OrderedDict') {
    return g({ call: dictFrom, newObj: () => new Map() });
  }
  if (builtins && (name === 'set' || name === 'frozenset')) {
    return g({ call: (args) => new Set(args.length ? iterableItems(args[0]) : []), newObj: () => new Set() });
  }
  if (builtins && name === 'dict') return g({ call: dictFrom, newObj: () => new Map() });
  if (builtins && (name === 'bytes' || name === 'bytearray')) {
    return g({ call: (args) => (args[0] instanceof Uint8Array ? new Uint8Array(args[0]) : encodeString(args)) });
  }
  if (module === '_codecs' && name === 'encode') return g({ call: encodeString });
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PyGlobal) return value.qualifiedName;
  if (Array.isArray(value)) return 'a tuple/list';
  if (value instanceof Map) return 'a dict';
  if (value instanceof Set) return 'a set';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

const MAX_NESTING = 100_000;
const MAX_INT_BYTES = 4096;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Runs the pickle in `buf` starting at `options.offset` and returns the value at STOP. */
export function unpickle(buf: Uint8Array, options: UnpickleOptions): UnpickleResult {
  const { fileName, resolveGlobal, persistentLoad } = options;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const start = options.offset ?? 0;
  let pos = start;
  let opPos = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (problem: string): FacenetError =>
    new FacenetError('BAD_FILE', `${fileName}: broken pickle at byte ${opPos}: ${problem}`);

  const need = (n: number): number => {
    if (n < 0 || pos + n > buf.length) {
      throw fail(`needs ${n} more bytes but the file ends at byte ${buf.length} (truncated?)`);
    }
    const p = pos;
    pos += n;
    return p;
  };
  const u8 = (): number => buf[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const i32 = (): number => view.getInt32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`length ${v} is too large`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    const p = need(n);
    return buf.subarray(p, p + n);
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw fail('a text argument has no end of line (truncated?)');
    const s = Buffer.from(buf.buffer, buf.byteOffset + pos, nl - pos).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const utf8 = (n: number): string => {
    try {
      return utf8Decoder.decode(bytes(n));
    } catch (err) {
      if (err instanceof FacenetError) throw err;
      throw fail('a str is not valid UTF-8');
    }
  };
  const latin1 = (n: number): string => {
    const b = bytes(n);
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  };

  const pop = (): unknown => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw fail('no MARK to pop back to');
    stack = prev;
    return items;
  };
  const push = (v: unknown): void => {
    stack.push(v);
  };

  const intFromLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    // Weights files only hold small integers; a huge one is corruption and would be slow to decode.
    if (b.length > MAX_INT_BYTES) throw fail(`an integer of ${b.length} bytes is too large`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const parseIntText = (s: string): number | bigint => {
    const t = s.trim().replace(/L$/, '');
    if (t.length > MAX_INT_BYTES * 3 || !/^[+-]?\d+$/.test(t)) throw fail(`bad integer literal ${JSON.stringify(s)}`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  const lookupGlobal = (module: string, name: string): PyGlobal => {
    const g = resolveGlobal(module, name);
    if (!g) throw refuseGlobal(fileName, module, name);
    return g;
  };
  const callGlobal = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PyGlobal)) throw fail(`REDUCE calls ${describe(fn)}, which is not a callable global`);
    if (!Array.isArray(args)) throw fail(`REDUCE arguments for ${fn.qualifiedName} are not a tuple`);
    if (!fn.behaviour.call) throw fail(`${fn.qualifiedName} cannot be called`);
    return fn.behaviour.call(args);
  };
  const newObject = (cls: unknown, args: unknown): unknown => {
    if (!(cls instanceof PyGlobal)) throw fail(`NEWOBJ on ${describe(cls)}, which is not a class`);
    if (!Array.isArray(args)) throw fail(`NEWOBJ arguments for ${cls.qualifiedName} are not a tuple`);
    if (!cls.behaviour.newObj) throw fail(`${cls.qualifiedName} cannot be instantiated with NEWOBJ`);
    return cls.behaviour.newObj(args);
  };
  const setItem = (d: unknown, k: unknown, v: unknown): void => {
    if (!(d instanceof Map)) throw fail(`SETITEM on ${describe(d)}, not a dict`);
    d.set(k, v);
  };
  const appendTo = (list: unknown, items: unknown[]): void => {
    if (Array.isArray(list)) {
      for (const it of items) list.push(it);
    } else if (list instanceof Set) {
      for (const it of items) list.add(it);
    } else {
      throw fail(`APPEND to ${describe(list)}, not a list`);
    }
  };
  const build = (obj: unknown, state: unknown): void => {
    if (typeof obj === 'object' && obj !== null && SET_STATE in obj) {
      (obj as Stateful)[SET_STATE](state);
      return;
    }
    if (obj instanceof Map) {
      // OrderedDict's attributes (torch puts `_metadata` there); kept aside, never mixed with the items.
      const attrs = dictAttributes.get(obj) ?? new Map<string, unknown>();
      const sources = Array.isArray(state) ? state : [state];
      for (const s of sources) {
        if (s === null) continue;
        if (!(s instanceof Map)) throw fail(`BUILD state for a dict is ${describe(s)}, not a dict`);
        for (const [k, v] of s) attrs.set(String(k), v);
      }
      dictAttributes.set(obj, attrs);
      return;
    }
    throw fail(`BUILD on ${describe(obj)}, which takes no state`);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) throw fail(`memo entry ${i} was never stored`);
    return memo.get(i);
  };

  try {
    for (;;) {
      opPos = pos;
      const op = u8();
      switch (op) {
        case 0x80: // PROTO
          u8();
          break;
        case 0x95: // FRAME: framing is only a read-ahead hint
          u64();
          break;
        case 0x2e: // STOP
          if (metastack.length !== 0) throw fail('STOP inside an open MARK');
          if (stack.length !== 1) throw fail(`STOP with ${stack.length} values on the stack`);
          return { value: stack[0], end: pos };

        case 0x7d: // EMPTY_DICT
          push(new Map());
          break;
        case 0x5d: // EMPTY_LIST
          push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          push([]);
          break;
        case 0x8f: // EMPTY_SET
          push(new Set());
          break;
        case 0x28: // MARK
          if (metastack.length > MAX_NESTING) throw fail('MARKs nested too deeply');
          metastack.push(stack);
          stack = [];
          break;
        case 0x30: // POP
          if (stack.length === 0) popMark();
          else pop();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          push(top());
          break;

        case 0x4e: // NONE
          push(null);
          break;
        case 0x88: // NEWTRUE
          push(true);
          break;
        case 0x89: // NEWFALSE
          push(false);
          break;
        case 0x4a: // BININT
          push(i32());
          break;
        case 0x4b: // BININT1
          push(u8());
          break;
        case 0x4d: // BININT2
          push(u16());
          break;
        case 0x8a: // LONG1
          push(intFromLE(bytes(u8())));
          break;
        case 0x8b: { // LONG4
          const n = i32();
          if (n < 0) throw fail('negative LONG4 length');
          push(intFromLE(bytes(n)));
          break;
        }
        case 0x49: { // INT (text; "00"/"01" are protocol 0 booleans)
          const s = line();
          if (s === '00') push(false);
          else if (s === '01') push(true);
          else push(parseIntText(s));
          break;
        }
        case 0x4c: // LONG (text)
          push(parseIntText(line()));
          break;
        case 0x47: // BINFLOAT (big-endian double)
          push(view.getFloat64(need(8), false));
          break;
        case 0x46: { // FLOAT (text)
          const s = line().trim();
          const v = Number(s);
          if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) throw fail(`bad float literal ${JSON.stringify(s)}`);
          push(v);
          break;
        }

        case 0x58: // BINUNICODE
          push(utf8(u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          push(utf8(u8()));
          break;
        case 0x8d: // BINUNICODE8
          push(utf8(u64()));
          break;
        case 0x56: { // UNICODE (raw-unicode-escape text)
          const s = line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) =>
            String.fromCodePoint(parseInt((a ?? b)!, 16)),
          );
          push(s);
          break;
        }
        case 0x54: { // BINSTRING (Python 2 str)
          const n = i32();
          if (n < 0) throw fail('negative BINSTRING length');
          push(latin1(n));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          push(latin1(u8()));
          break;
        case 0x53: { // STRING (quoted repr text)
          const s = line().trim();
          const q = s[0];
          if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) throw fail('bad STRING literal');
          const body = s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
            if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
            if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
            const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' };
            return simple[e] ?? `\\${e}`;
          });
          push(body);
          break;
        }
        case 0x42: // BINBYTES
          push(new Uint8Array(bytes(u32())));
          break;
        case 0x43: // SHORT_BINBYTES
          push(new Uint8Array(bytes(u8())));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          push(new Uint8Array(bytes(u64())));
          break;

        case 0x74: // TUPLE
          push(popMark());
          break;
        case 0x85: // TUPLE1
          push([pop()]);
          break;
        case 0x86: { // TUPLE2
          const b = pop();
          const a = pop();
          push([a, b]);
          break;
        }
        case 0x87: { // TUPLE3
          const c = pop();
          const b = pop();
          const a = pop();
          push([a, b, c]);
          break;
        }
        case 0x6c: // LIST
          push(popMark());
          break;
        case 0x64: { // DICT
          const items = popMark();
          if (items.length % 2) throw fail('DICT with an odd number of items');
          const d = new Map<unknown, unknown>();
          for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
          push(d);
          break;
        }
        case 0x91: // FROZENSET
          push(new Set(popMark()));
          break;

        case 0x71: // BINPUT
          memo.set(u8(), top());
          break;
        case 0x72: // LONG_BINPUT
          memo.set(u32(), top());
          break;
        case 0x70: // PUT
          memo.set(Number(parseIntText(line())), top());
          break;
        case 0x94: // MEMOIZE
          memo.set(memo.size, top());
          break;
        case 0x68: // BINGET
          push(memoGet(u8()));
          break;
        case 0x6a: // LONG_BINGET
          push(memoGet(u32()));
          break;
        case 0x67: // GET
          push(memoGet(Number(parseIntText(line()))));
          break;

        case 0x73: { // SETITEM
          const v = pop();
          const k = pop();
          setItem(top(), k, v);
          break;
        }
        case 0x75: { // SETITEMS
          const items = popMark();
          if (items.length % 2) throw fail('SETITEMS with an odd number of items');
          const d = top();
          for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
          break;
        }
        case 0x61: { // APPEND
          const v = pop();
          appendTo(top(), [v]);
          break;
        }
        case 0x65: { // APPENDS
          const items = popMark();
          appendTo(top(), items);
          break;
        }
        case 0x90: { // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof Set)) throw fail(`ADDITEMS to ${describe(s)}, not a set`);
          for (const it of items) s.add(it);
          break;
        }

        case 0x63: { // GLOBAL
          const module = line();
          const name = line();
          push(lookupGlobal(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
          push(lookupGlobal(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const args = pop();
          const fn = pop();
          push(callGlobal(fn, args));
          break;
        }
        case 0x62: { // BUILD
          const state = pop();
          build(top(), state);
          break;
        }
        case 0x81: { // NEWOBJ
          const args = pop();
          const cls = pop();
          push(newObject(cls, args));
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = pop();
          const args = pop();
          const cls = pop();
          if (kwargs instanceof Map && kwargs.size > 0) throw fail('NEWOBJ_EX with keyword arguments is not supported');
          push(newObject(cls, args));
          break;
        }
        case 0x69: { // INST
          const module = line();
          const name = line();
          const cls = lookupGlobal(module, name);
          push(callGlobal(cls, popMark()));
          break;
        }
        case 0x6f: { // OBJ
          const items = popMark();
          if (items.length === 0) throw fail('OBJ without a class');
          push(callGlobal(items[0], items.slice(1)));
          break;
        }

        case 0x51: { // BINPERSID
          const pid = pop();
          if (!persistentLoad) throw fail('the pickle refers to external data (persistent id) that this file type does not have');
          push(persistentLoad(pid));
          break;
        }
        case 0x50: { // PERSID
          const pid = line();
          if (!persistentLoad) throw fail('the pickle refers to external data (persistent id) that this file type does not have');
          push(persistentLoad(pid));
          break;
        }

        case 0x82:
        case 0x83:
        case 0x84: // EXT1/2/4
          throw fail('the pickle uses the copyreg extension registry, which is not supported');
        case 0x97:
        case 0x98: // NEXT_BUFFER / READONLY_BUFFER
          throw fail('the pickle uses out-of-band buffers (protocol 5), which are not supported');
        default:
          throw fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or corrupt)`);
      }
    }
  } catch (err) {
    if (err instanceof FacenetError) throw err;
    throw new FacenetError('BAD_FILE', `${fileName}: broken pickle at byte ${opPos}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
