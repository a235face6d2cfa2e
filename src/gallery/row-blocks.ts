/** fp32 rows in JS memory, in blocks of 16384 rows (no single huge ArrayBuffer), for exact re-scoring. */
export const BLOCK_ROWS = 16384;

export class RowBlocks {
  private blocks: Float32Array[] = [];

  constructor(readonly dim: number) {}

  private ensure(row: number): void {
    while (this.blocks.length * BLOCK_ROWS <= row) this.blocks.push(new Float32Array(BLOCK_ROWS * this.dim));
  }

  row(r: number): Float32Array {
    const b = this.blocks[Math.floor(r / BLOCK_ROWS)]!;
    const o = (r % BLOCK_ROWS) * this.dim;
    return b.subarray(o, o + this.dim);
  }

  set(r: number, v: Float32Array): void {
    this.ensure(r);
    this.row(r).set(v);
  }

  copy(from: number, to: number): void {
    this.row(to).set(this.row(from));
  }

  /** Rows [start, end) as one array (a view when they lie in one block). */
  range(start: number, end: number): Float32Array {
    const b = Math.floor(start / BLOCK_ROWS);
    if (Math.floor((end - 1) / BLOCK_ROWS) === b) return this.blocks[b]!.subarray((start % BLOCK_ROWS) * this.dim, ((end - 1) % BLOCK_ROWS + 1) * this.dim);
    const out = new Float32Array((end - start) * this.dim);
    for (let r = start; r < end; r++) out.set(this.row(r), (r - start) * this.dim);
    return out;
  }

  dot(r: number, q: Float32Array, qOffset: number): number {
    const b = this.blocks[Math.floor(r / BLOCK_ROWS)]!;
    const o = (r % BLOCK_ROWS) * this.dim;
    let s = 0;
    for (let j = 0; j < this.dim; j++) s += b[o + j]! * q[qOffset + j]!;
    return s;
  }

  get bytes(): number {
    return this.blocks.length * BLOCK_ROWS * this.dim * 4;
  }

  clear(): void {
    this.blocks = [];
  }
}
