/**
 * An approximate-nearest-neighbour index over the gallery's faces: usearch's HNSW graph (an
 * optional dependency, loaded only when a gallery uses one). It proposes candidate faces; the
 * gallery re-scores them exactly from its own matrix, so similarities are always the exact ones
 * and only recall is approximate (reported by `npm run bench -- --suite gallery` and
 * bench/gallery-lfw.ts on real face embeddings).
 *
 * Keys are face ids, which both stores never reuse (AUTOINCREMENT / BIGSERIAL), so an index saved
 * earlier can be brought up to date by set difference against the matrix: see `reconcile`.
 */
import { FacenetError } from '../errors.js';

export type AnnQuantization = 'f32' | 'bf16';

export interface AnnSettings {
  /** Scalar type the graph stores vectors in (default bf16: half the memory, same candidates in practice). */
  quantization?: AnnQuantization;
  /** Edges per node (HNSW M; default 16). */
  connectivity?: number;
  /** Candidate list size while inserting (efConstruction; default 64). */
  expansionAdd?: number;
  /** Candidate list size while searching (ef; default 128); never below the number of results asked. */
  expansionSearch?: number;
}

export const ANN_DEFAULTS: Required<AnnSettings> = { quantization: 'bf16', connectivity: 16, expansionAdd: 64, expansionSearch: 128 };

type Usearch = typeof import('usearch');
type UsearchIndex = InstanceType<Usearch['Index']>;

async function loadUsearch(): Promise<Usearch> {
  try {
    const m = (await import('usearch')) as Usearch & { default?: Usearch };
    return m.default ?? m;
  } catch (e) {
    throw new FacenetError('NOT_FOUND', 'an ANN index needs the optional package usearch, which is not installed: run `npm install usearch` beside facenet, or search exactly (the default without an index)', { cause: e });
  }
}

export function checkAnnSettings(s: AnnSettings): Required<AnnSettings> {
  const out = { ...ANN_DEFAULTS, ...s };
  if (out.quantization !== 'f32' && out.quantization !== 'bf16') throw new FacenetError('BAD_ARGUMENT', `ANN quantization must be 'f32' or 'bf16', got '${String(out.quantization)}'`);
  for (const key of ['connectivity', 'expansionAdd', 'expansionSearch'] as const) {
    const v = out[key];
    if (!Number.isInteger(v) || v < 2 || v > 4096) throw new FacenetError('BAD_ARGUMENT', `ANN ${key} must be an integer in [2, 4096], got ${v}`);
  }
  return out;
}

/**
 * Below this many faces the graph is built on one thread. usearch's concurrent insertion (2.25)
 * leaves some nodes unreachable in a small graph: on 900 unit vectors, 0-5 of them no longer find
 * themselves when inserted on 2 threads, none on 1 (and none of 2,000 sampled at 20,000 x 512-D on
 * 2 threads). A small graph is cheap to build serially.
 */
export const PARALLEL_BUILD_FROM = 20_000;

export class AnnIndex {
  private readonly keys = new Set<number>();

  /**
   * Insertion threads (0: all cores), fixed for the object's life: usearch sizes its per-thread
   * scratch when the graph grows, with the thread count of that call, so a later add on more
   * threads than the graph was last sized for fails ("Reserve capacity ahead of insertions").
   */
  private readonly threads: number;

  private constructor(
    private index: UsearchIndex | null,
    readonly dim: number,
    readonly settings: Required<AnnSettings>,
    expectedFaces: number,
  ) {
    this.threads = expectedFaces < PARALLEL_BUILD_FROM ? 1 : 0;
  }

  /** `expectedFaces`: how many faces the first adds will bring (decides serial or parallel insertion). */
  static async create(dim: number, settings: AnnSettings = {}, expectedFaces = 0): Promise<AnnIndex> {
    const s = checkAnnSettings(settings);
    const u = await loadUsearch();
    return new AnnIndex(AnnIndex.newIndex(u, dim, s), dim, s, expectedFaces);
  }

  private static newIndex(u: Usearch, dim: number, s: Required<AnnSettings>): UsearchIndex {
    // Cosine on unit vectors: usearch's distance is 1 - cos.
    return new u.Index({ dimensions: dim, metric: u.MetricKind.Cos, quantization: s.quantization === 'bf16' ? u.ScalarKind.BF16 : u.ScalarKind.F32, connectivity: s.connectivity, expansion_add: s.expansionAdd, expansion_search: s.expansionSearch, multi: false });
  }

  /** Reads a graph saved by `save`; `faceIds` are the keys it was saved with. */
  static async load(file: string, dim: number, settings: AnnSettings, faceIds: Float64Array): Promise<AnnIndex> {
    const s = checkAnnSettings(settings);
    const u = await loadUsearch();
    const index = AnnIndex.newIndex(u, dim, s);
    index.load(file);
    if (index.size() !== faceIds.length || index.dimensions() !== dim) throw new FacenetError('BAD_FILE', `${file}: ANN index holds ${index.size()} vectors of ${index.dimensions()} dims, its key list ${faceIds.length} of ${dim}`);
    // usearch sizes a loaded graph's scratch for all cores, so either thread count is safe here.
    const ann = new AnnIndex(index, dim, s, faceIds.length);
    for (const id of faceIds) ann.keys.add(id);
    return ann;
  }

  get size(): number {
    return this.keys.size;
  }

  private live(): UsearchIndex {
    if (!this.index) throw new FacenetError('DISPOSED', 'ANN index is disposed');
    return this.index;
  }

  /**
   * Adds faces (row-major unit embeddings); ids already present are skipped. Rows are handed over
   * as fresh copies: usearch's binding reads a TypedArray from the start of its buffer, ignoring
   * a subarray's offset.
   */
  add(faceIds: ArrayLike<number>, embeddings: Float32Array): void {
    const fresh: number[] = [];
    for (let i = 0; i < faceIds.length; i++) if (!this.keys.has(faceIds[i]!)) fresh.push(i);
    if (fresh.length === 0) return;
    const rows = new Float32Array(fresh.length * this.dim);
    fresh.forEach((src, dst) => rows.set(embeddings.subarray(src * this.dim, (src + 1) * this.dim), dst * this.dim));
    const keys = BigUint64Array.from(fresh, (i) => BigInt(faceIds[i]!));
    this.live().add(keys, rows, this.threads);
    for (const i of fresh) this.keys.add(faceIds[i]!);
  }

  remove(faceId: number): void {
    if (!this.keys.delete(faceId)) return;
    this.live().remove(BigInt(faceId));
  }

  /**
   * Brings the index to exactly the face set `faceIdAt(0..n-1)`: removes keys no longer there and
   * adds the missing rows (read through `rowsOf`). Returns how many were removed and added.
   */
  reconcile(n: number, faceIdAt: (row: number) => number, rowsOf: (rows: number[]) => Float32Array): { removed: number; added: number } {
    const present = new Set<number>();
    const missing: number[] = [];
    for (let r = 0; r < n; r++) {
      const id = faceIdAt(r);
      present.add(id);
      if (!this.keys.has(id)) missing.push(r);
    }
    let removed = 0;
    for (const id of [...this.keys]) {
      if (!present.has(id)) {
        this.remove(id);
        removed++;
      }
    }
    for (let s = 0; s < missing.length; s += 4096) {
      const part = missing.slice(s, s + 4096);
      this.add(part.map(faceIdAt), rowsOf(part));
    }
    return { removed, added: missing.length };
  }

  /** Per query (unit rows), up to `k` candidate face ids, nearest first. */
  search(queries: Float32Array, k: number): Float64Array[] {
    const q = queries.length / this.dim;
    const out: Float64Array[] = [];
    if (this.keys.size === 0) return Array.from({ length: q }, () => new Float64Array(0));
    const index = this.live();
    for (let i = 0; i < q; i++) {
      const m = index.search(queries.slice(i * this.dim, (i + 1) * this.dim), Math.min(k, this.keys.size), 1);
      out.push(Float64Array.from(m.keys, (key) => Number(key)));
    }
    return out;
  }

  /** The key list, in any order (saved beside the graph). */
  faceIds(): Float64Array {
    return Float64Array.from(this.keys);
  }

  save(file: string): void {
    this.live().save(file);
  }

  dispose(): void {
    // usearch frees its graph when the object is collected; dropping the reference is all we can do.
    this.index = null;
    this.keys.clear();
  }
}
