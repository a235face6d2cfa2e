/** From face hits to ranked subjects: each subject scored by its best face. */

export interface SubjectHit {
  subjectId: number;
  row: number;
  similarity: number;
}

/**
 * The best hit of each subject, in the order of `rows` (best first), at most k subjects.
 * `complete` is false when fewer than k subjects were found among the hits while more rows exist,
 * i.e. the caller must look at more faces to be exact.
 */
export function bestPerSubject(rows: Int32Array, sims: Float32Array, subjectOf: (row: number) => number, k: number, totalRows: number): { hits: SubjectHit[]; complete: boolean } {
  const seen = new Set<number>();
  const hits: SubjectHit[] = [];
  for (let i = 0; i < rows.length && hits.length < k; i++) {
    const s = subjectOf(rows[i]!);
    if (seen.has(s)) continue;
    seen.add(s);
    hits.push({ subjectId: s, row: rows[i]!, similarity: sims[i]! });
  }
  return { hits, complete: hits.length >= k || rows.length >= totalRows };
}
