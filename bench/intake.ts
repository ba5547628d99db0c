/**
 * The order webhook under attack (loopback only, bounded): 300 connections with a secret each; from
 * 127.0.0.2 an attacker holds 300 slow 1 MB bodies open and sends 300 unsigned 1 MB calls a second,
 * while Stock2Shop's valid calls arrive from 127.0.0.1 at 10 a second. The raw figure is the same valid
 * calls without the attack, in the same run. Goals: the intake's RSS grows by at most 64 MB, valid calls'
 * p99 at most 200 ms, every valid call 202.
 *
 *   node --import tsx bench/intake.ts [--quick]     (also part of `npm run bench`)
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTempDir, runBench, say, sleep, spawnNode, startTrackedDevServer, stopChild, waitUntil } from './harness';
import { rssBytes } from './proc';
import { formatSpread, markdownTable, quantile, verdict, type BenchReport } from './report';
import { freePort } from '../scripts/ports';
import { BENCH_SOURCES, benchSecretOf, FIRST_SOURCE_ID } from './intake/connections';

const RSS_GROWTH_GOAL_MB = 64;
const P99_GOAL_MS = 200;
const VALID_PER_SECOND = 10;

interface PhaseResult {
  latenciesMs: number[];
  statuses: Map<number, number>;
}

async function validCalls(intakeUrl: string, seconds: number, label: string): Promise<PhaseResult> {
  const result: PhaseResult = { latenciesMs: [], statuses: new Map() };
  const calls: Promise<void>[] = [];
  for (let i = 0; i < seconds * VALID_PER_SECOND; i++) {
    const index = i % BENCH_SOURCES;
    const sourceId = FIRST_SOURCE_ID + index;
    const body = JSON.stringify({ instruction: 'add_order', source_id: sourceId, channel_order_code: `${label}-${i}` });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `sha256=${createHmac('sha256', benchSecretOf(index)).update(`${timestamp}.`).update(body).digest('hex')}`;
    const started = performance.now();
    calls.push(
      fetch(`${intakeUrl}/webhooks/orders/${sourceId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-stock2shop-timestamp': String(timestamp), 'x-stock2shop-signature': signature },
        body,
      })
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        })
        .catch(() => 0)
        .then((status) => {
          result.latenciesMs.push(performance.now() - started);
          result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
        }),
    );
    await sleep(1000 / VALID_PER_SECOND);
  }
  await Promise.all(calls);
  return result;
}

export async function runIntakeBenchmarks({ quick = false }: { quick?: boolean } = {}): Promise<BenchReport> {
  const started = Date.now();
  const [baselineSeconds, attackSeconds] = quick ? [5, 10] : [10, 20];
  const temp = benchTempDir('bench-intake');
  const port = await freePort();
  const server = await startTrackedDevServer({ dbFile: join(temp.dir, 'temporal.db'), logFile: join(temp.dir, 'temporal.log'), port, uiPort: await freePort() });
  const intakeLog = join(temp.dir, 'intake.log');
  const intake = spawnNode('intake', ['bench/intake/serve.ts'], { ...process.env, TEMPORAL_ADDRESS: server.address }, intakeLog);
  let intakeUrl = '';
  await waitUntil('the intake to listen', 30_000, () => {
    intakeUrl = /INTAKE_URL (\S+)/.exec(readFileSync(intakeLog, 'utf8'))?.[1] ?? '';
    return intakeUrl !== '';
  }, 200);
  await validCalls(intakeUrl, 2, 'warm');
  say(`intake: ${baselineSeconds} s of valid calls alone`);
  const baseline = await validCalls(intakeUrl, baselineSeconds, 'raw');
  const rssBefore = rssBytes(intake.pid!);
  const attackLog = join(temp.dir, 'attack.log');
  const attacker = spawnNode('attacker', ['bench/intake/attack.ts'], { ...process.env, INTAKE_URL: intakeUrl }, attackLog);
  let rssMax = rssBefore;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(intake.pid!))), 200);
  await sleep(2_000);
  say(`intake: ${attackSeconds} s of valid calls under attack (300 slow 1 MB bodies, 300 unsigned 1 MB calls/s from 127.0.0.2)`);
  const attacked = await validCalls(intakeUrl, attackSeconds, 'attacked');
  clearInterval(sampler);
  await stopChild('attacker', attacker, 5_000);
  await stopChild('intake', intake, 5_000);
  await server.stop();
  const attack = /ATTACK_COUNTS (\{.*\})/.exec(readFileSync(attackLog, 'utf8'))?.[1] ?? '{}';

  const growthMb = (rssMax - rssBefore) / 1024 / 1024;
  const p99 = (r: PhaseResult) => quantile(r.latenciesMs, 0.99) ?? Infinity;
  const accepted = attacked.statuses.get(202) ?? 0;
  const total = attacked.latenciesMs.length;
  const statusText = (r: PhaseResult) => [...r.statuses].map(([s, n]) => `${n}× ${s}`).join(', ');
  const rows = [
    ['valid calls alone (raw)', String(baseline.latenciesMs.length), statusText(baseline), `${(quantile(baseline.latenciesMs, 0.5) ?? 0).toFixed(1)}`, `${p99(baseline).toFixed(1)}`, '–'],
    ['valid calls under attack', String(total), statusText(attacked), `${(quantile(attacked.latenciesMs, 0.5) ?? 0).toFixed(1)}`, `${p99(attacked).toFixed(1)}`, `${growthMb.toFixed(1)}`],
  ];
  const markdown = [
    markdownTable(['phase', 'valid calls', 'answers', 'p50 ms', 'p99 ms', 'intake RSS growth MB'], rows),
    '',
    `Attacker (from 127.0.0.2): ${attack}. p99 under attack is ${formatSpread({ min: p99(attacked) / p99(baseline), median: p99(attacked) / p99(baseline), max: p99(attacked) / p99(baseline), values: [] }, '×')} the raw p99.`,
  ].join('\n');
  say(markdown);
  return {
    title: 'Order webhook under attack',
    command: `node --import tsx bench/intake.ts${quick ? ' --quick' : ''}`,
    seconds: (Date.now() - started) / 1000,
    goals: [
      { benchmark: 'webhook under attack: intake RSS growth', goal: `≤ ${RSS_GROWTH_GOAL_MB} MB`, measured: `${growthMb.toFixed(1)} MB`, verdict: verdict(growthMb <= RSS_GROWTH_GOAL_MB) },
      { benchmark: 'webhook under attack: valid calls p99', goal: `≤ ${P99_GOAL_MS} ms`, measured: `${p99(attacked).toFixed(1)} ms (raw ${p99(baseline).toFixed(1)} ms)`, verdict: verdict(p99(attacked) <= P99_GOAL_MS) },
      { benchmark: 'webhook under attack: valid calls answered 202', goal: 'all', measured: `${accepted} of ${total}`, verdict: verdict(accepted === total) },
    ],
    markdown,
    data: { baseline: { ...baseline, statuses: Object.fromEntries(baseline.statuses) }, attacked: { ...attacked, statuses: Object.fromEntries(attacked.statuses) }, growthMb, attack: JSON.parse(attack) as unknown },
  };
}

if (require.main === module) {
  runBench('intake', async () => {
    const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
    const report = await runIntakeBenchmarks({ quick: values.quick ?? false });
    process.stdout.write(`${report.goals.map((g) => `${g.benchmark}: ${g.measured} (goal ${g.goal}) ${g.verdict}`).join('\n')}\n`);
  });
}
