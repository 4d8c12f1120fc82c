import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Progress on stderr so stdout carries only the result table. */
export const progress = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : 'n/a');
export const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a');
export const ratio = (value: number, base: number): string =>
  Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${((value / base) * 100).toFixed(0)} %` : 'n/a';

/** One line of the result table: what, the figure, the same-run baseline, the ratio and whether the goal holds. */
export interface TableRow {
  readonly metric: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly goal: string;
  readonly met: boolean | undefined;
}

export const row = (
  metric: string,
  value: string,
  extra: Partial<Omit<TableRow, 'metric' | 'value'>> = {},
): TableRow => ({ metric, value, baseline: '', ratio: '', goal: '', met: undefined, ...extra });

export const markdownTable = (rows: readonly TableRow[]): string => {
  const verdict = (met: boolean | undefined): string => (met === undefined ? '' : met ? 'met' : 'MISSED');
  return [
    '| metric | value | same-run baseline | ratio | goal | |',
    '|---|---:|---:|---:|---|---|',
    ...rows.map((r) => `| ${r.metric} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.goal} | ${verdict(r.met)} |`),
  ].join('\n');
};

/** Writes `bench/results/<ISO date><suffix>.json` and returns its path. */
export const writeResults = (suffix: string, data: unknown): string => {
  const folder = resolve(__dirname, '..', 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${new Date().toISOString().replace(/:/g, '-')}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
};

export const errorText = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);
