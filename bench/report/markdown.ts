import type { BenchResults, ContenderResult, ScenarioResult } from '../harness/types.js';

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return Math.round(value).toLocaleString('en');
  return String(Number(value.toPrecision(3)));
}

function metrics(row: ContenderResult): string {
  if (!row.metrics) return '';
  return Object.entries(row.metrics)
    .map(([name, value]) => `${name} ${value === null ? 'n/a' : value}`)
    .join(', ');
}

function table(scenario: ScenarioResult): string[] {
  const withMetrics = scenario.contenders.some((row) => row.metrics);
  const withP999 = scenario.contenders.some((row) => row.p999Ms !== undefined);
  const head = ['Contender', 'Kind', 'ops/s', 'p50 ms', 'p99 ms'];
  if (withP999) head.push('p999 ms');
  head.push(`× ${scenario.baseline}`);
  if (withMetrics) head.push('Figures');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of scenario.contenders) {
    const name = row.kind === 'ours' ? `**${row.name}**` : row.name;
    const cells = [
      name,
      row.kind,
      formatNumber(row.opsPerSec),
      formatNumber(row.p50Ms),
      formatNumber(row.p99Ms),
      ...(withP999 ? [formatNumber(row.p999Ms ?? Number.NaN)] : []),
      formatNumber(row.ratio),
    ];
    if (withMetrics) cells.push(metrics(row));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

function section(scenario: ScenarioResult): string[] {
  const targets = scenario.targets.map(
    (target) =>
      `- ${target.met ? '✅ met' : '❌ missed'}: ${target.text} — measured **${target.value}**`,
  );
  return [
    `### \`${scenario.id}\` — ${scenario.title}`,
    '',
    ...(scenario.method ? [scenario.method, ''] : []),
    ...table(scenario),
    '',
    ...(targets.length ? ['Targets:', '', ...targets, ''] : []),
  ];
}

function targetSummary(results: BenchResults): string[] {
  const rows = results.scenarios.flatMap((scenario) =>
    scenario.targets.map(
      (target) =>
        `| \`${scenario.id}\` | ${target.text} | ${target.value} | ${target.met ? '✅ met' : '❌ missed'} |`,
    ),
  );
  return ['| Scenario | Target | Measured | |', '|---|---|---|---|', ...rows, ''];
}

/** The generated part of BENCHMARKS.md: machine, versions, one table per scenario. */
export function renderTables(results: BenchResults): string {
  const { meta } = results;
  const versions = Object.entries(meta.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `Run: ${meta.date} (${meta.mode}: ${meta.repetitions} repetitions of ${meta.durationMs} ms per contender; ` +
      'at one call in flight interleaved pairs, see Method), ' +
      `Node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}.`,
    '',
    `Versions: ${versions}.`,
    '',
    '### Targets at a glance',
    '',
    ...targetSummary(results),
    ...results.scenarios.flatMap(section),
  ].join('\n');
}
