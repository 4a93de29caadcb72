/**
 * Non-negative least squares (Lawson–Hanson active set) for the handful of cost terms:
 * minimise Σ_i w_i (a_i · x − b_i)² subject to x >= 0. Costs cannot be negative, and an
 * unconstrained fit on a few noisy timings happily trades a negative term against a positive
 * one. Columns are scaled to unit norm first (token² counts are ~10⁶ times call counts).
 */

/** Solve the (small, dense) system `M x = y` by Gaussian elimination with partial pivoting. */
function solveDense(M: number[][], y: number[]): number[] {
  const n = y.length;
  const a = M.map((row, i) => [...row, y[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const piv = a[c]![c]!;
    if (Math.abs(piv) < 1e-12) continue; // singular direction: leave at 0
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / piv;
      if (f !== 0) for (let k = c; k <= n; k++) a[r]![k] = a[r]![k]! - f * a[c]![k]!;
    }
  }
  return a.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}

/** Unconstrained least squares on the columns in `cols` (others 0), tiny ridge for stability. */
function lsOn(A: number[][], b: number[], cols: number[], n: number): number[] {
  const M = cols.map((i) => cols.map((j) => A.reduce((s, row) => s + row[i]! * row[j]!, 0) + (i === j ? 1e-10 : 0)));
  const y = cols.map((i) => A.reduce((s, row, r) => s + row[i]! * b[r]!, 0));
  const sol = solveDense(M, y);
  const x = new Array<number>(n).fill(0);
  cols.forEach((c, k) => { x[c] = sol[k]!; });
  return x;
}

/**
 * Weighted non-negative least squares. `rows` are the feature vectors, `targets` the measured
 * values, `weights` (default 1) per row. Returns x >= 0 of length `rows[0].length`.
 */
export function nnls(rows: readonly (readonly number[])[], targets: readonly number[], weights?: readonly number[]): number[] {
  if (rows.length === 0) throw new RangeError('nnls: no rows to fit');
  if (rows.length !== targets.length) throw new RangeError(`nnls: ${rows.length} rows but ${targets.length} targets`);
  const n = rows[0]!.length;
  const sw = rows.map((_, i) => Math.sqrt(weights?.[i] ?? 1));
  const raw = rows.map((r, i) => r.map((v) => v * sw[i]!));
  const b = targets.map((t, i) => t * sw[i]!);
  const scale = Array.from({ length: n }, (_, j) => Math.sqrt(raw.reduce((s, r) => s + r[j]! ** 2, 0)) || 1);
  const A = raw.map((r) => r.map((v, j) => v / scale[j]!));

  const x = new Array<number>(n).fill(0);
  const passive = new Set<number>();
  const gradient = (): number[] => {
    const res = b.map((bi, r) => bi - A[r]!.reduce((s, v, j) => s + v * x[j]!, 0));
    return Array.from({ length: n }, (_, j) => A.reduce((s, row, r) => s + row[j]! * res[r]!, 0));
  };
  const tol = 1e-10 * Math.max(1, Math.sqrt(b.reduce((s, v) => s + v * v, 0)));
  for (let outer = 0; outer < 3 * n + 3; outer++) {
    const w = gradient();
    let j = -1;
    for (let k = 0; k < n; k++) if (!passive.has(k) && w[k]! > tol && (j < 0 || w[k]! > w[j]!)) j = k;
    if (j < 0) break;
    passive.add(j);
    for (let inner = 0; inner < 3 * n + 3; inner++) {
      const cols = [...passive].sort((a, c) => a - c);
      const s = lsOn(A, b, cols, n);
      if (cols.every((c) => s[c]! > 0)) {
        for (let k = 0; k < n; k++) x[k] = s[k]!;
        break;
      }
      let alpha = 1;
      for (const c of cols) if (s[c]! <= 0) alpha = Math.min(alpha, x[c]! / (x[c]! - s[c]!));
      for (let k = 0; k < n; k++) x[k] = x[k]! + alpha * (s[k]! - x[k]!);
      for (const c of cols) if (x[c]! <= 1e-15) { passive.delete(c); x[c] = 0; }
      if (passive.size === 0) break;
    }
  }
  return x.map((v, j) => Math.max(0, v) / scale[j]!);
}
