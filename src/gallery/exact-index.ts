/**
 * The in-process search matrix: every face's unit embedding as one row of a contiguous [capacity, D]
 * tensor in our engine, with the face id and subject of each row beside it. Search is one matrix
 * product (cosine similarities) and a top-k; writes fill rows in place (removal moves the last row
 * into the hole), so the matrix stays in step with the store without a reload.
 */
import { Tensor, tensor, empty, zeros, normalize } from '../tensor/index.js';
import { FacenetError } from '../errors.js';
import { RowBlocks } from './row-blocks.js';

/**
 * 'float32': one fp32 matrix, scanned as is. 'bfloat16': the scan runs over a bf16 copy (half the
 * bytes, and libtorch hands bf16 products to oneDNN), then the candidates are re-scored exactly
 * from an fp32 copy, so answers are the fp32 ones (memory 1.5x).
 */
export type MatrixPrecision = 'float32' | 'bfloat16';

/**
 * Bound on |bf16 score - fp32 score| for unit vectors: both operands rounded to bf16 (unit
 * roundoff u = 2^-8 each, so |Σ x̃q̃ - Σ xq| <= (2u + u²)·|x||q|), fp32 accumulation, and the
 * product rounded to bf16 once more (u·|s| <= u): 3u + u² < 0.0118.
 */
export const BF16_SCORE_ERROR = 0.0118;

export interface FaceHits {
  /** Row numbers, best first, per query. */
  rows: Int32Array[];
  similarities: Float32Array[];
}

export class ExactIndex {
  private buf: Tensor | null = null;
  /** The fp32 rows when the scan matrix is bf16 (for the exact re-scoring), in JS memory. */
  private exact: RowBlocks | null = null;
  private capacity = 0;
  private n = 0;
  private faceIdOf = new Float64Array(0);
  private subjectOf = new Int32Array(0);
  private readonly rowOf = new Map<number, number>();

  constructor(
    readonly dim: number,
    readonly precision: MatrixPrecision = 'float32',
  ) {
    if (precision !== 'float32') this.exact = new RowBlocks(dim);
  }

  get size(): number {
    return this.n;
  }
  has(faceId: number): boolean {
    return this.rowOf.has(faceId);
  }
  /** The row holding a face, or -1. */
  rowOfFace(faceId: number): number {
    return this.rowOf.get(faceId) ?? -1;
  }
  faceIdAt(row: number): number {
    return this.faceIdOf[row]!;
  }
  subjectAt(row: number): number {
    return this.subjectOf[row]!;
  }
  /** Bytes held by the matrices (capacity rows; the fp32 copy of a bf16 matrix by blocks). */
  get matrixBytes(): number {
    return this.capacity * this.dim * (this.precision === 'float32' ? 4 : 2) + (this.exact?.bytes ?? 0);
  }

  /** Makes room for `rows` rows in total, so that a bulk load fills one allocation. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const grow = (old: Tensor | null, dtype: MatrixPrecision): Tensor => {
      // Rows past n are never read (searches slice to n), so the new buffer needs no zero fill.
      const next = empty([rows, this.dim], { dtype });
      if (old) {
        if (this.n > 0) next.slice(0, 0, this.n).copy_(old.slice(0, 0, this.n));
        old.dispose();
      }
      return next;
    };
    this.buf = grow(this.buf, this.precision);
    this.capacity = rows;
    const ids = new Float64Array(rows);
    ids.set(this.faceIdOf.subarray(0, this.n));
    this.faceIdOf = ids;
    const subj = new Int32Array(rows);
    subj.set(this.subjectOf.subarray(0, this.n));
    this.subjectOf = subj;
  }

  /** Appends rows (unit embeddings, row-major in `embeddings`); ids already present are skipped. */
  add(faceIds: ArrayLike<number>, subjectIds: ArrayLike<number>, embeddings: Float32Array): void {
    const count = faceIds.length;
    if (embeddings.length !== count * this.dim) throw new FacenetError('SHAPE_MISMATCH', `ExactIndex.add: ${count} ids but ${embeddings.length / this.dim} rows`);
    const keep: number[] = [];
    for (let i = 0; i < count; i++) if (!this.rowOf.has(faceIds[i]!)) keep.push(i);
    if (keep.length === 0) return;
    if (this.n + keep.length > this.capacity) this.reserve(Math.max(this.n + keep.length, Math.ceil(this.capacity * 1.5), 1024));
    let rows = embeddings;
    if (keep.length !== count) {
      rows = new Float32Array(keep.length * this.dim);
      keep.forEach((src, dst) => rows.set(embeddings.subarray(src * this.dim, (src + 1) * this.dim), dst * this.dim));
    }
    this.buf!.write_(rows, this.n * this.dim); // converts to bfloat16 if needed
    if (this.exact) for (let j = 0; j < keep.length; j++) this.exact.set(this.n + j, rows.subarray(j * this.dim, (j + 1) * this.dim));
    keep.forEach((i, j) => {
      const row = this.n + j;
      this.faceIdOf[row] = faceIds[i]!;
      this.subjectOf[row] = subjectIds[i]!;
      this.rowOf.set(faceIds[i]!, row);
    });
    this.n += keep.length;
  }

  /** Removes one face; false when it is not here. The last row moves into its place. */
  remove(faceId: number): boolean {
    const row = this.rowOf.get(faceId);
    if (row === undefined) return false;
    const last = this.n - 1;
    if (row !== last) {
      this.buf!.slice(0, row, row + 1).copy_(this.buf!.slice(0, last, last + 1));
      this.exact?.copy(last, row);
      this.faceIdOf[row] = this.faceIdOf[last]!;
      this.subjectOf[row] = this.subjectOf[last]!;
      this.rowOf.set(this.faceIdOf[row]!, row);
    }
    this.rowOf.delete(faceId);
    this.n = last;
    return true;
  }

  /** One row's embedding as float32 (for export and centroids). */
  rowsOf(rows: readonly number[]): Float32Array {
    const out = new Float32Array(rows.length * this.dim);
    rows.forEach((r, i) => {
      if (this.exact) {
        out.set(this.exact.row(r), i * this.dim);
        return;
      }
      const t = this.buf!.slice(0, r, r + 1);
      out.set(t.data() as Float32Array, i * this.dim);
      t.dispose();
    });
    return out;
  }

  /**
   * Exact cosine similarities of one query (unit row `queries[qOffset .. qOffset + dim)`) with the
   * given rows: from the fp32 copy of a bf16 matrix, else one gather and product in the engine.
   */
  scoreRows(rows: Int32Array, queries: Float32Array, qOffset: number): Float32Array {
    if (rows.length === 0) return new Float32Array(0);
    if (this.exact) return Float32Array.from(rows, (r) => this.exact!.dot(r, queries, qOffset));
    const index = tensor(BigInt64Array.from(rows, (r) => BigInt(r)), [rows.length]);
    const q = tensor(queries.slice(qOffset, qOffset + this.dim), [this.dim]);
    const picked = this.buf!.indexSelect(0, index);
    const s = picked.matmul(q);
    try {
      return (s.data() as Float32Array).slice();
    } finally {
      for (const t of [index, q, picked, s]) t.dispose();
    }
  }

  /** All rows as float32, in row order, in chunks (export). */
  *chunks(rowsPerChunk = 65536): Generator<{ start: number; embeddings: Float32Array }> {
    for (let start = 0; start < this.n; start += rowsPerChunk) {
      const end = Math.min(this.n, start + rowsPerChunk);
      if (this.exact) {
        yield { start, embeddings: this.exact.range(start, end) };
        continue;
      }
      // data() copies, so the view is disposed before yielding: a consumer that stops early leaks nothing
      const t = this.buf!.slice(0, start, end);
      const embeddings = t.data() as Float32Array;
      t.dispose();
      yield { start, embeddings };
    }
  }

  /** Per query, the `k` rows of highest cosine similarity, best first. Queries are unit rows. */
  search(queries: Float32Array, k: number): FaceHits {
    const q = queries.length / this.dim;
    const kk = Math.min(k, this.n);
    if (q === 0 || kk === 0) return { rows: Array.from({ length: q }, () => new Int32Array(0)), similarities: Array.from({ length: q }, () => new Float32Array(0)) };
    const scores = this.similarities(queries, q);
    if (this.exact) {
      try {
        return this.rescored(scores, queries, kk);
      } finally {
        scores.dispose();
      }
    }
    try {
      const top = scores.topk(kk, 1, true, true);
      try {
        const values = top.values.toFloat32();
        const idx = top.indices.data() as BigInt64Array;
        const rows: Int32Array[] = [];
        const sims: Float32Array[] = [];
        for (let i = 0; i < q; i++) {
          const r = new Int32Array(kk);
          for (let j = 0; j < kk; j++) r[j] = Number(idx[i * kk + j]!);
          rows.push(r);
          sims.push(values.slice(i * kk, (i + 1) * kk));
        }
        return { rows, similarities: sims };
      } finally {
        top.values.dispose();
        top.indices.dispose();
      }
    } finally {
      scores.dispose();
    }
  }

  /**
   * Exact top-k from bf16 scores: per query, every row whose bf16 score is within
   * 2·BF16_SCORE_ERROR of the k-th best bf16 score (a superset of the true top k: a true top-k
   * row scores at least t - e in bf16, and the k-th bf16 score is at most t + e, t being the k-th
   * exact score), re-scored in fp32 and sorted.
   */
  private rescored(scores: Tensor, queries: Float32Array, k: number): FaceHits {
    const q = queries.length / this.dim;
    const f32 = scores.to('float32');
    const cands: number[][] = [];
    try {
      // wide enough at first that one top-k usually settles every query (each top-k is a pass over [q, n])
      let kf = Math.min(this.n, Math.max(4 * k, k + 64));
      let todo = Array.from({ length: q }, (_, i) => i);
      while (todo.length > 0) {
        const top = f32.topk(kf, 1, true, true);
        const v = top.values.data() as Float32Array;
        const idx = top.indices.data() as BigInt64Array;
        top.values.dispose();
        top.indices.dispose();
        const again: number[] = [];
        for (const i of todo) {
          const o = i * kf;
          const floor = v[o + k - 1]! - 2 * BF16_SCORE_ERROR;
          if (kf === this.n || v[o + kf - 1]! < floor) {
            const c: number[] = [];
            for (let j = 0; j < kf && v[o + j]! >= floor; j++) c.push(Number(idx[o + j]!));
            cands[i] = c;
          } else {
            again.push(i);
          }
        }
        todo = again;
        kf = Math.min(this.n, kf * 4);
      }
    } finally {
      f32.dispose();
    }
    const rows: Int32Array[] = [];
    const sims: Float32Array[] = [];
    for (let i = 0; i < q; i++) {
      const c = cands[i]!;
      const exact = c.map((r) => this.exact!.dot(r, queries, i * this.dim));
      const order = Array.from(c.keys()).sort((a, b) => exact[b]! - exact[a]!).slice(0, k);
      rows.push(Int32Array.from(order, (j) => c[j]!));
      sims.push(Float32Array.from(order, (j) => exact[j]!));
    }
    return { rows, similarities: sims };
  }

  /**
   * [q, n] cosine similarities: one matrix product. float32 products go to the BLAS libtorch
   * links: setup.sh installs OpenBLAS for Debian's libtorch, whose default is the netlib reference
   * BLAS (2.6x slower for one query, ~10x for 64). An earlier version ran batches as a 1x1
   * oneDNN convolution over the matrix to dodge the reference BLAS; with OpenBLAS the product is
   * 10x faster than that convolution on an AVX2 EPYC (333 ms vs 3.4 s, 64 queries x 200k x 512).
   * bfloat16 products go to oneDNN.
   */
  private similarities(queries: Float32Array, q: number): Tensor {
    const m = this.buf!.slice(0, 0, this.n);
    const qt = tensor(queries, [q, this.dim]);
    const qq = this.precision === 'float32' ? qt : qt.to(this.precision);
    try {
      if (q === 1) {
        const v = qq.reshape([this.dim]);
        const s = m.matmul(v); // matrix-vector: one pass over the rows
        v.dispose();
        const out = s.reshape([1, this.n]);
        s.dispose();
        return out;
      }
      const mt = m.T;
      const out = qq.matmul(mt);
      mt.dispose();
      return out;
    } finally {
      m.dispose();
      qt.dispose();
      if (qq !== qt) qq.dispose();
    }
  }

  /**
   * An index of subject centroids: per subject, the normalised mean of its faces' embeddings
   * (faceId and subject of each row are the subject id). One indexAdd over the matrix.
   */
  centroidIndex(): ExactIndex {
    const out = new ExactIndex(this.dim, this.precision);
    if (this.n === 0) return out;
    const dense = new Map<number, number>();
    const idx = new BigInt64Array(this.n);
    for (let r = 0; r < this.n; r++) {
      const s = this.subjectOf[r]!;
      let d = dense.get(s);
      if (d === undefined) dense.set(s, (d = dense.size));
      idx[r] = BigInt(d);
    }
    const subjects = Float64Array.from(dense.keys());
    const sums = zeros([dense.size, this.dim]);
    try {
      for (const { start, embeddings } of this.chunks()) {
        const count = embeddings.length / this.dim;
        const index = tensor(idx.subarray(start, start + count), [count]);
        const m = tensor(embeddings, [count, this.dim]);
        sums.indexAdd_(0, index, m);
        index.dispose();
        m.dispose();
      }
      const unit = normalize(sums, { dim: 1 });
      const rows = unit.data() as Float32Array;
      unit.dispose();
      out.add(subjects, Int32Array.from(subjects), rows);
      return out;
    } finally {
      sums.dispose();
    }
  }

  dispose(): void {
    this.buf?.dispose();
    this.buf = null;
    this.exact?.clear();
    this.capacity = 0;
    this.n = 0;
    this.rowOf.clear();
  }
}
