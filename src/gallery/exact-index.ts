/**
 * The in-process search matrix: every face's unit embedding as one row of a contiguous [capacity, D]
 * tensor in our engine, with the face id and subject of each row beside it. Search is one matrix
 * product (cosine similarities) and a top-k; writes fill rows in place (removal moves the last row
 * into the hole), so the matrix stays in step with the store without a reload.
 */
import { Tensor, tensor, zeros, conv2d, normalize } from '../tensor/index.js';
import { FacenetError } from '../errors.js';

export type MatrixPrecision = 'float32' | 'bfloat16';

export interface FaceHits {
  /** Row numbers, best first, per query. */
  rows: Int32Array[];
  similarities: Float32Array[];
}

export class ExactIndex {
  private buf: Tensor | null = null;
  private capacity = 0;
  private n = 0;
  private faceIdOf = new Float64Array(0);
  private subjectOf = new Int32Array(0);
  private readonly rowOf = new Map<number, number>();

  constructor(
    readonly dim: number,
    readonly precision: MatrixPrecision = 'float32',
  ) {}

  get size(): number {
    return this.n;
  }
  has(faceId: number): boolean {
    return this.rowOf.has(faceId);
  }
  faceIdAt(row: number): number {
    return this.faceIdOf[row]!;
  }
  subjectAt(row: number): number {
    return this.subjectOf[row]!;
  }
  /** Bytes held by the matrix (capacity rows). */
  get matrixBytes(): number {
    return this.capacity * this.dim * (this.precision === 'float32' ? 4 : 2);
  }

  /** Makes room for `rows` rows in total, so that a bulk load fills one allocation. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const next = zeros([rows, this.dim], { dtype: this.precision });
    if (this.buf) {
      if (this.n > 0) next.slice(0, 0, this.n).copy_(this.buf.slice(0, 0, this.n));
      this.buf.dispose();
    }
    this.buf = next;
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
    const src = tensor(rows, [keep.length, this.dim]);
    try {
      this.buf!.slice(0, this.n, this.n + keep.length).copy_(src); // copy_ converts to bfloat16 if needed
    } finally {
      src.dispose();
    }
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
      const t = this.buf!.slice(0, r, r + 1);
      const f = t.to('float32');
      out.set(f.data() as Float32Array, i * this.dim);
      f.dispose();
      t.dispose();
    });
    return out;
  }

  /** All rows as float32, in row order, in chunks (export). */
  *chunks(rowsPerChunk = 65536): Generator<{ start: number; embeddings: Float32Array }> {
    for (let start = 0; start < this.n; start += rowsPerChunk) {
      const end = Math.min(this.n, start + rowsPerChunk);
      const t = this.buf!.slice(0, start, end);
      const f = t.to('float32');
      yield { start, embeddings: f.data() as Float32Array };
      f.dispose();
      t.dispose();
    }
  }

  /** Per query, the `k` rows of highest cosine similarity, best first. Queries are unit rows. */
  search(queries: Float32Array, k: number): FaceHits {
    const q = queries.length / this.dim;
    const kk = Math.min(k, this.n);
    if (q === 0 || kk === 0) return { rows: Array.from({ length: q }, () => new Int32Array(0)), similarities: Array.from({ length: q }, () => new Float32Array(0)) };
    const scores = this.similarities(queries, q);
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
   * [q, n] cosine similarities. Why two paths: the engine's float32 matmul goes through the BLAS
   * libtorch links (Debian's is the netlib reference BLAS), whose matrix-vector product is about
   * as fast as a scan, but whose matrix-matrix product is ~100x slower than oneDNN. So a single
   * query uses matmul (a matrix-vector product), and a batch runs as a 1x1 convolution over the
   * matrix viewed channels-last ([1, D, n, 1] with strides of the [n, D] rows), which libtorch
   * hands to oneDNN; the width-stride of 2 over a width of 1 changes nothing but makes libtorch
   * pick oneDNN even on one thread. bfloat16 matmuls go to oneDNN already.
   */
  private similarities(queries: Float32Array, q: number): Tensor {
    const m = this.buf!.slice(0, 0, this.n);
    const qt = tensor(queries, [q, this.dim]);
    const qq = this.precision === 'float32' ? qt : qt.to(this.precision);
    try {
      if (q === 1 || this.precision !== 'float32') {
        if (q === 1) {
          const v = qq.reshape([this.dim]);
          const s = m.matmul(v);
          v.dispose();
          const out = s.reshape([1, this.n]);
          s.dispose();
          return out;
        }
        const mt = m.T;
        const out = qq.matmul(mt);
        mt.dispose();
        return out;
      }
      const view4 = m.reshape([1, this.n, 1, this.dim]);
      const input = view4.permute(0, 3, 1, 2);
      const w = qq.reshape([q, this.dim, 1, 1]);
      const y = conv2d(input, w, null, { stride: [1, 2] });
      const out = y.reshape([q, this.n]);
      for (const t of [view4, input, w, y]) t.dispose();
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
    const index = tensor(idx, [this.n]);
    const m = this.buf!.slice(0, 0, this.n);
    const m32 = this.precision === 'float32' ? m : m.to('float32');
    try {
      sums.indexAdd_(0, index, m32);
      const unit = normalize(sums, { dim: 1 });
      const rows = unit.data() as Float32Array;
      unit.dispose();
      out.add(subjects, Int32Array.from(subjects), rows);
      return out;
    } finally {
      for (const t of new Set([sums, index, m, m32])) t.dispose();
    }
  }

  dispose(): void {
    this.buf?.dispose();
    this.buf = null;
    this.capacity = 0;
    this.n = 0;
    this.rowOf.clear();
  }
}
