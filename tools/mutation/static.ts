/**
 * Checks again, by hand, the survivors Stryker marks "static": code that also runs while a test
 * file sets up (an app built in `beforeAll`). Stryker's Vitest runner switches a mutant on per
 * test, after that set-up, so such a mutant can survive only because it was never in effect. For
 * each one this writes the mutant into the source, runs the package's tests once, and puts the
 * file back.
 *
 *   npm run mutation:static -- gateway
 *   npm run mutation:static -- cache --all --file namespace.ts   (every survivor of those files)
 *
 * Changes source files while it runs, as Stryker does: not beside other work in the same clone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MutantResult, MutationTestResult } from 'mutation-testing-report-schema';

const ROOT = join(import.meta.dirname, '../..');
const PACKAGES: Record<string, { dir: string; vitestConfig: string }> = {
  market: { dir: 'libs/market', vitestConfig: 'vitest.config.ts' },
  cache: { dir: 'libs/cache', vitestConfig: 'vitest.config.ts' },
  db: { dir: 'libs/db', vitestConfig: 'vitest.config.ts' },
  gateway: { dir: 'apps/gateway', vitestConfig: 'vitest.mutation.config.ts' },
};

const name = process.argv[2] ?? '';
// --all: every survivor, not only the static ones; --file <text>: only files whose path contains it.
const all = process.argv.includes('--all');
const fileFlag = process.argv.indexOf('--file');
const fileFilter = fileFlag === -1 ? '' : (process.argv[fileFlag + 1] ?? '');
const target = PACKAGES[name];
const reportPath = join(ROOT, 'tmp/mutation', `${name}.json`);
if (!target || !existsSync(reportPath)) {
  console.error(`Usage: npm run mutation:static -- <${Object.keys(PACKAGES).join('|')}>, after \`npx stryker run\` in that package has written ${reportPath}.`);
  process.exit(1);
}

/** The source with the mutant's replacement in place of its location. */
function mutate(source: string, mutant: MutantResult): string {
  const lines = source.split('\n');
  const offset = (line: number, column: number) => lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
  const { start, end } = mutant.location;
  return source.slice(0, offset(start.line, start.column)) + (mutant.replacement ?? '') + source.slice(offset(end.line, end.column));
}

const report = JSON.parse(readFileSync(reportPath, 'utf8')) as MutationTestResult;
const fileOfTest = new Map(Object.entries(report.testFiles ?? {}).flatMap(([file, { tests }]) => tests.map((test) => [test.id, file] as const)));
// Not in tmp/mutation itself, where every JSON file is read as a Stryker report.
const resultFile = join(ROOT, 'tmp/mutation/static', `${name}.json`);

/** The names of the tests that failed, from Vitest's JSON report. */
function failures(): string[] {
  if (!existsSync(resultFile)) return ['(no test report: the run itself failed)'];
  const results = JSON.parse(readFileSync(resultFile, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string }[]; message?: string; name: string }[] };
  return results.testResults.flatMap((file) => {
    const failed = file.assertionResults.filter((test) => test.status === 'failed').map((test) => test.fullName);
    return failed.length > 0 || !file.message ? failed : [`${file.name}: ${file.message.split('\n')[0]}`];
  });
}
const suspects = Object.entries(report.files).flatMap(([file, result]) =>
  file.includes(fileFilter) ? result.mutants.filter((mutant) => (all || mutant.static) && mutant.status === 'Survived').map((mutant) => ({ file, mutant })) : [],
);
console.log(`${suspects.length} ${all ? '' : 'static '}survivors in ${name}; running their covering tests once per mutant.`);
let killed = 0;
for (const [i, { file, mutant }] of suspects.entries()) {
  const path = join(ROOT, target.dir, file);
  const original = readFileSync(path, 'utf8');
  if (original !== report.files[file]?.source) {
    console.log(`[${i + 1}/${suspects.length}] ${file} has changed since the report: run \`npx stryker run\` in ${target.dir} again first.`);
    continue;
  }
  writeFileSync(path, mutate(original, mutant));
  // The test files of the tests that cover it: fewer tests, and fewer chances of an unrelated flake.
  const files = [...new Set((mutant.coveredBy ?? []).map((id) => fileOfTest.get(id)).filter((file) => file !== undefined))];
  let verdict: string;
  try {
    rmSync(resultFile, { force: true });
    execFileSync('npx', ['vitest', 'run', '--config', target.vitestConfig, '--reporter=json', `--outputFile=${resultFile}`, ...files], { cwd: join(ROOT, target.dir), stdio: 'ignore' });
    verdict = 'survives';
  } catch {
    verdict = `killed by ${failures()[0] ?? '?'}`;
    killed++;
  } finally {
    writeFileSync(path, original);
  }
  console.log(`[${i + 1}/${suspects.length}] ${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} → ${(mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 50)}: ${verdict}`);
}
console.log(`${killed} of ${suspects.length} are killed when their tests run with the mutant in place from the start.`);
console.log('A kill is only as good as the test that failed: check that it fails for the mutant, not for a flake.');
