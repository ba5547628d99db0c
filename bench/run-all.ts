/**
 * `npm run bench`: every benchmark at its default sizes, one after another, then docs/benchmarks.md
 * rewritten between its "generated" markers with the date, machine, commit, load average, the goals
 * table and each program's figures. The rest of the file (the analysis, the scale runs) is kept.
 *
 *   npm run bench [-- --quick] [-- --no-write]
 *
 * Each program also runs alone (`npm run bench:products`, `npm run bench:intake`, `npm run bench:stock2shop`, `npm run bench:orders`, `npm run bench:scale`).
 * A benchmark, run by hand: the test suite never times anything.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench, projectRoot, say } from './harness';
import { gitCommit, loadAverage, machineInfo } from './proc';
import { markdownTable, type BenchReport } from './report';
import { runProductSyncBenchmarks } from './product-sync';
import { DEFAULT_SIZES, runOrderBenchmarks } from './orders';
import { runIntakeBenchmarks } from './intake';
import { runStock2ShopLimitBenchmark } from './stock2shop-limit';

/**
 * The whole run stays under 15 minutes: the order rows get the time the product passes left (less
 * the orders program's own start and stop), at most their usual budget. A row that does not fit is
 * cut as the orders program always cuts one: fewer repeats, said in its figures.
 */
const WHOLE_RUN_TARGET_SECONDS = 14.5 * 60;
const ORDERS_START_AND_STOP_SECONDS = 15;
/** Below this the order rows cannot each give a figure (the sum of their least times in bench/orders.ts). */
const ORDERS_LEAST_BUDGET_SECONDS = 470;

export function ordersBudgetSeconds(elapsedSeconds: number): number {
  const left = WHOLE_RUN_TARGET_SECONDS - elapsedSeconds - ORDERS_START_AND_STOP_SECONDS;
  return Math.round(Math.max(ORDERS_LEAST_BUDGET_SECONDS, Math.min(DEFAULT_SIZES.budgetSeconds, left)));
}

export const GENERATED_START = '<!-- bench:run-all:start (written by npm run bench; edit outside these markers) -->';
export const GENERATED_END = '<!-- bench:run-all:end -->';

/** The generated section of docs/benchmarks.md for these reports. */
export function generatedSection(reports: BenchReport[], context: { date: string; machine: string; commit: string; load: string; command: string; seconds: number }): string {
  const goals = reports.flatMap((report) => report.goals);
  const missed = goals.filter((g) => g.verdict === 'missed').length;
  return [
    GENERATED_START,
    '',
    `### Latest run: ${context.date}`,
    '',
    `- **Machine**: ${context.machine}`,
    `- **Commit**: \`${context.commit}\``,
    `- **Load average** (1, 5, 15 min): ${context.load}`,
    `- **Command**: \`${context.command}\`, ${(context.seconds / 60).toFixed(1)} min in all (${reports.map((r) => `${r.title} ${(r.seconds / 60).toFixed(1)} min`).join(', ')})`,
    `- **Goals**: ${goals.length - missed} of ${goals.length} met${missed > 0 ? `; the ${missed} missed are explained under "Where the time goes"` : ''}`,
    '',
    markdownTable(
      ['benchmark', 'goal', 'measured: median (min–max) of the repeats', 'verdict'],
      goals.map((g) => [g.benchmark, g.goal, g.measured, g.verdict === 'met' ? 'met' : '**missed**']),
    ),
    '',
    ...reports.flatMap((report) => [`#### ${report.title} (\`${report.command}\`)`, '', report.markdown, '']),
    GENERATED_END,
  ].join('\n');
}

/** `text` with its generated section replaced (or, without one, added at the end). */
export function withGeneratedSection(text: string, section: string): string {
  const start = text.indexOf(GENERATED_START);
  const end = text.indexOf(GENERATED_END);
  if (start === -1 || end === -1 || end < start) return `${text.trimEnd()}\n\n${section}\n`;
  return `${text.slice(0, start)}${section}${text.slice(end + GENERATED_END.length)}`;
}

if (require.main === module) {
  runBench('bench', async () => {
    const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } });
    const quick = values.quick ?? false;
    const started = Date.now();
    const loadBefore = loadAverage();
    const m = machineInfo();
    const commit = gitCommit(projectRoot);
    say(`machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; node ${m.node}; commit ${commit}; load ${loadBefore}`);
    const reports: BenchReport[] = [];
    reports.push(await runProductSyncBenchmarks({ quick }));
    say(`product sync done in ${(reports[0]!.seconds / 60).toFixed(1)} min`);
    reports.push(await runIntakeBenchmarks({ quick }));
    say(`webhook under attack done in ${reports[1]!.seconds.toFixed(0)} s`);
    reports.push(await runStock2ShopLimitBenchmark({ quick }));
    say(`Stock2Shop limit done in ${reports[2]!.seconds.toFixed(0)} s`);
    const budgetSeconds = ordersBudgetSeconds((Date.now() - started) / 1000);
    if (!quick && budgetSeconds < DEFAULT_SIZES.budgetSeconds) say(`orders: ${budgetSeconds} s for the rows, so that the whole run stays under 15 minutes`);
    reports.push(await runOrderBenchmarks(quick ? { quick } : { sizes: { budgetSeconds } }));
    say(`orders done in ${(reports[3]!.seconds / 60).toFixed(1)} min`);
    const seconds = (Date.now() - started) / 1000;
    const section = generatedSection(reports, {
      date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
      machine: `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, node ${m.node}`,
      commit,
      load: `${loadBefore} at the start, ${loadAverage()} at the end`,
      command: `npm run bench${quick ? ' -- --quick' : ''}`,
      seconds,
    });
    process.stdout.write(`\n${section}\n`);
    if (!values['no-write']) {
      const file = join(projectRoot, 'docs', 'benchmarks.md');
      writeFileSync(file, withGeneratedSection(readFileSync(file, 'utf8'), section));
      say(`wrote docs/benchmarks.md (${(seconds / 60).toFixed(1)} min in all)`);
    }
    process.stdout.write(`BENCH_ALL_JSON ${JSON.stringify({ seconds, reports: reports.map((r) => ({ title: r.title, seconds: r.seconds, goals: r.goals })) })}\n`);
  });
}
