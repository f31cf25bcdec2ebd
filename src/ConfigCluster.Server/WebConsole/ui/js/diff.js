// A line diff (longest common subsequence) for comparing two versions' JSON.
import { h } from './dom.js';

/** The lines of a and b as [{ kind: ' ' | '-' | '+', text }], in order. */
export function lineDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  // Values are small (a config value); a quadratic table is fine and exact.
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ kind: ' ', text: x[i] }); i++; j++; }
    else if (table[i + 1][j] >= table[i][j + 1]) out.push({ kind: '-', text: x[i++] });
    else out.push({ kind: '+', text: y[j++] });
  }
  while (i < n) out.push({ kind: '-', text: x[i++] });
  while (j < m) out.push({ kind: '+', text: y[j++] });
  return out;
}

/** A rendered diff: removed lines marked '-', added '+'. */
export function diffView(a, b, label) {
  const lines = lineDiff(a, b);
  return h('pre', { class: 'diff', 'aria-label': label },
    lines.map(line => h('span', { class: line.kind === '+' ? 'add' : line.kind === '-' ? 'del' : 'same' }, `${line.kind} ${line.text}\n`)));
}
