import type { BenchResults, ContenderResult, ScenarioResult } from '../harness/types.js';

const WIDTH = 920;
const LABEL_WIDTH = 330;
const BAR_AREA = 470;
const ROW = 18;
/** Scenarios whose ops/s column is not what they measure: no panel. */
const NOT_THROUGHPUT = new Set([
  'memory-bound',
  'invalidation-latency',
  'l1-memory-bound',
  'hot-key-expiry',
  'source-down',
]);
const COLORS = {
  ours: '#d9480f',
  peer: '#4263eb',
  'peer-config': '#91a7ff',
  floor: '#adb5bd',
} as const;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M/s`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k/s`;
  return `${ops.toFixed(0)}/s`;
}

/** Bars are ops/s on a log scale from the panel's slowest contender ÷ 2 to its fastest. */
function panel(scenario: ScenarioResult, top: number): { svg: string; height: number } {
  const rows = scenario.contenders;
  const max = Math.max(...rows.map((row) => row.opsPerSec));
  const min = Math.min(...rows.map((row) => row.opsPerSec)) / 2;
  const scale = (ops: number) => (Math.log(ops / min) / Math.log(max / min || 10)) * BAR_AREA || 1;
  const title = `<text x="10" y="${top + 14}" class="title">${escape(scenario.title)}</text>`;
  const bars = rows.map((row: ContenderResult, i) => {
    const y = top + 24 + i * ROW;
    const width = Math.max(2, scale(row.opsPerSec));
    return [
      `<text x="${LABEL_WIDTH - 6}" y="${y + 12}" text-anchor="end">${escape(row.name)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 2}" width="${width.toFixed(1)}" height="${ROW - 5}" fill="${COLORS[row.kind]}"/>`,
      `<text x="${LABEL_WIDTH + width + 4}" y="${y + 12}">${formatOps(row.opsPerSec)} · ${row.ratio}×</text>`,
    ].join('');
  });
  return { svg: [title, ...bars].join('\n'), height: 34 + rows.length * ROW };
}

/** One SVG: a panel per throughput scenario, ours in orange, peers in blue, floors in grey. */
export function renderChart(results: BenchResults): string {
  let top = 40;
  const panels: string[] = [];
  for (const scenario of results.scenarios.filter((s) => !NOT_THROUGHPUT.has(s.id))) {
    const { svg, height } = panel(scenario, top);
    panels.push(svg);
    top += height;
  }
  const { node, cpus, date } = results.meta;
  const legend =
    `<text x="10" y="20" class="title">nestjs-distributed-cache vs peers — ops/s (log scale), ratio vs each scenario's baseline</text>` +
    `<text x="10" y="34" class="note">${escape(`${node}, ${cpus} CPUs, ${date.slice(0, 10)}, ${results.meta.mode} run.`)} ` +
    `<tspan fill="${COLORS.ours}">■ ours</tspan> <tspan fill="${COLORS.peer}">■ peer</tspan> <tspan fill="${COLORS.floor}">■ floor</tspan></text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top + 10}" viewBox="0 0 ${WIDTH} ${top + 10}" font-family="sans-serif" font-size="11">`,
    '<style>.title{font-weight:bold;font-size:12px}.note{fill:#555}</style>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    legend,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
