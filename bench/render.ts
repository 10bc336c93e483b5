import { readFile } from 'node:fs/promises';
import type { BenchResults } from './harness/types.js';
import { writeReports } from './report/write-reports.js';

/** Re-renders chart.svg and the tables of BENCHMARKS.md from `bench/results/latest.json`. */
const file = new URL('./results/latest.json', import.meta.url);
const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
await writeReports(results, { partial: false });
