/**
 * Reads the JSON reports `npm run test:mutation` leaves in tmp/mutation/ and prints each
 * package's score and each file's, then, with `--survivors [text]`, every mutant that no test
 * noticed (of the files whose path contains `text`), with its line, so the next test can be written.
 *
 *   npm run mutation:report
 *   npm run mutation:report -- --survivors backtest/engine.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateMetrics } from 'mutation-testing-metrics';
import type { MutationTestResult } from 'mutation-testing-report-schema';

const dir = join(import.meta.dirname, '../../tmp/mutation');
const reports = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json') && !name.includes('incremental')) : [];
if (reports.length === 0) {
  console.error(`No report in ${dir}: run \`npm run test:mutation\` (or \`npx stryker run\` in a package) first.`);
  process.exit(1);
}

const flag = process.argv.indexOf('--survivors');
const filter = flag === -1 ? undefined : (process.argv[flag + 1] ?? '');
const percent = (value: number) => (Number.isNaN(value) ? '–' : `${value.toFixed(1)} %`);

for (const name of reports.sort()) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Partial<MutationTestResult>;
  if (report.files === undefined) {
    console.log(`\n${name}: not a Stryker report, skipped`);
    continue;
  }
  const whole = calculateMetrics(report.files);
  console.log(`\n${name.replace(/\.json$/, '')}: ${percent(whole.metrics.mutationScore)} (covered code ${percent(whole.metrics.mutationScoreBasedOnCoveredCode)}), ${whole.metrics.survived} survived, ${whole.metrics.noCoverage} not covered`);
  for (const [file, result] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
    const { metrics } = calculateMetrics({ [file]: result });
    console.log(`  ${file.padEnd(44)} ${percent(metrics.mutationScore).padStart(8)}  ${String(metrics.survived).padStart(3)} survived  ${String(metrics.noCoverage).padStart(3)} not covered`);
    if (filter === undefined || !file.includes(filter)) continue;
    const lines = result.source.split('\n');
    const left = result.mutants.filter((mutant) => mutant.status === 'Survived' || mutant.status === 'NoCoverage');
    left.sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
    for (const mutant of left) {
      const { line, column } = mutant.location.start;
      const status = mutant.status === 'Survived' ? 'survived' : 'no test runs it';
      console.log(`    ${line}:${column} ${mutant.mutatorName} → ${(mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70)} (${status})\n      ${(lines[line - 1] ?? '').trim().slice(0, 110)}`);
    }
  }
}
