/**
 * Alert episodes and the alerter, without Temporal:
 *  - one contract for the episode state, run against the embedded file store and the Postgres store (a
 *    throw-away server started by this file with scripts/postgres.ts), including two stores (two
 *    workers) claiming one alert at once: exactly one gets it;
 *  - the alerter over it with a recording sender: once per episode, a failing receiver tried again
 *    later and remembered only after a 2xx, a source-down alert only once it is due, no webhook no state;
 *  - the pass rule (`decidePassAlerts`): failed, overdue, paused after N in a row, counted again after a resume.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertEpisodeKey, AlertEpisodeStore } from '../../store/alert-episodes';
import { FileProductStateStore } from '../../store/file-store';
import { PostgresProductStateStore } from '../../store/postgres-store';
import { Alerter, alertWebhookOf, type AlertPayload } from '../../activities/alerts';
import { decidePassAlerts, ENGINE_PAUSE_NOTE_PREFIX, type ClosedPass, type PassCheckInput } from '../../activities/pass-check';
import { migrate } from '../../store/migrate';
import { postgresForTests } from '../helpers/postgres';
import { omniConnection } from '../unit/fixtures';

const { pool, freshDatabase } = postgresForTests('alerts_test');

const key = (subject = 'WEB-1', kind: AlertEpisodeKey['kind'] = 'order_needs_attention'): AlertEpisodeKey => ({ connectionId: 'c1', kind, subject });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each `fresh()` is new, empty storage; the function it answers opens a store over it (a worker process). */
function episodeContract(kind: string, fresh: () => Promise<() => AlertEpisodeStore>) {
  describe(`${kind}: alert episodes`, () => {
    test('an episode begins once, its open alert is claimed by one caller and, once sent, never again', async () => {
      const store = (await fresh())();
      assert.deepEqual(await store.alertEpisodes('c1'), []);
      const first = await store.beginAlertEpisode(key(), 'needs a person: A');
      const again = await store.beginAlertEpisode(key(), 'needs a person: B');
      assert.equal(again.startedAt.getTime(), first.startedAt.getTime(), 'the same episode');
      assert.equal(again.message, 'needs a person: B', 'its message refreshed');
      const claimed = await store.claimAlert(key(), 'open', 30_000);
      assert.equal(claimed?.message, 'needs a person: B');
      assert.equal(await store.claimAlert(key(), 'open', 30_000), null, 'held by the first caller');
      await store.alertSent(key(), 'open');
      assert.equal(await store.claimAlert(key(), 'open', 30_000), null, 'sent: nothing to claim');
      await store.beginAlertEpisode(key(), 'needs a person: C');
      assert.equal(await store.claimAlert(key(), 'open', 30_000), null, 'seen again: still sent');
      const [episode] = await store.alertEpisodes('c1');
      assert.ok(episode?.openSentAt instanceof Date);
      assert.equal(episode.recoveredAt, null);
    });

    test('a released claim may be taken at once; an expired one too', async () => {
      const store = (await fresh())();
      await store.beginAlertEpisode(key(), 'm');
      assert.ok(await store.claimAlert(key(), 'open', 30_000));
      await store.releaseAlert(key());
      assert.ok(await store.claimAlert(key(), 'open', 200), 'released');
      assert.equal(await store.claimAlert(key(), 'open', 200), null);
      await sleep(400);
      assert.ok(await store.claimAlert(key(), 'open', 200), 'expired');
    });

    test('an open alert due later is not claimed before its time', async () => {
      const store = (await fresh())();
      await store.beginAlertEpisode(key('source', 'source_down'), 'down');
      assert.equal(await store.claimAlert(key('source', 'source_down'), 'open', 30_000, 60_000), null);
      await sleep(300);
      assert.ok(await store.claimAlert(key('source', 'source_down'), 'open', 30_000, 200));
    });

    test('ended before its alert went out: dropped, no recovery; after: its recovery is due once, then it is gone', async () => {
      const store = (await fresh())();
      await store.beginAlertEpisode(key('A'), 'm');
      assert.equal((await store.endAlertEpisode(key('A'), 'fine'))?.openSentAt, null);
      assert.deepEqual(await store.alertEpisodes('c1'), []);
      assert.equal(await store.endAlertEpisode(key('A'), 'fine'), null, 'none open');

      await store.beginAlertEpisode(key('B'), 'm');
      assert.ok(await store.claimAlert(key('B'), 'open', 30_000));
      await store.alertSent(key('B'), 'open');
      assert.equal(await store.claimAlert(key('B'), 'recovered', 30_000), null, 'not recovered yet');
      const ended = await store.endAlertEpisode(key('B'), 'raised as SO1');
      assert.ok(ended?.openSentAt instanceof Date);
      assert.equal(ended.recoveredAt, null, 'as it was before');
      const recovery = await store.claimAlert(key('B'), 'recovered', 30_000);
      assert.equal(recovery?.recoveryMessage, 'raised as SO1');
      assert.ok(recovery?.recoveredAt instanceof Date);
      await store.alertSent(key('B'), 'recovered');
      assert.deepEqual(await store.alertEpisodes('c1'), []);
      assert.equal(await store.claimAlert(key('B'), 'recovered', 30_000), null);
    });

    test('the condition back before its recovery went out: the recovery is withdrawn, the episode goes on', async () => {
      const store = (await fresh())();
      await store.beginAlertEpisode(key(), 'm');
      await store.claimAlert(key(), 'open', 30_000);
      await store.alertSent(key(), 'open');
      await store.endAlertEpisode(key(), 'ok');
      await store.beginAlertEpisode(key(), 'again');
      assert.equal(await store.claimAlert(key(), 'recovered', 30_000), null);
      assert.equal(await store.claimAlert(key(), 'open', 30_000), null, 'its alert went out already');
      const [episode] = await store.alertEpisodes('c1');
      assert.equal(episode?.recoveredAt, null);
    });

    test('episodes are per connection, kind and subject', async () => {
      const store = (await fresh())();
      await store.beginAlertEpisode(key('B'), 'm');
      await store.beginAlertEpisode(key('A'), 'm');
      await store.beginAlertEpisode(key('source', 'source_down'), 'm');
      await store.beginAlertEpisode({ connectionId: 'c2', kind: 'order_needs_attention', subject: 'A' }, 'm');
      assert.deepEqual(
        (await store.alertEpisodes('c1')).map((e) => `${e.kind}/${e.subject}`),
        ['order_needs_attention/A', 'order_needs_attention/B', 'source_down/source'],
      );
      assert.deepEqual(
        (await store.alertEpisodes('c2')).map((e) => e.subject),
        ['A'],
      );
    });

    test('two workers claim one alert at once: exactly one gets it', async () => {
      const open = await fresh();
      const stores = [open(), open(), open(), open()];
      await stores[0]!.beginAlertEpisode(key(), 'm');
      for (let round = 0; round < 5; round++) {
        const claims = await Promise.all(stores.map((s) => s.claimAlert(key(), 'open', 30_000)));
        assert.equal(claims.filter(Boolean).length, 1, `round ${round}`);
        await stores[0]!.releaseAlert(key());
      }
    });
  });
}

episodeContract('file store', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-alerts-'));
  return () => new FileProductStateStore(directory);
});

episodeContract('Postgres store', async () => {
  const url = await freshDatabase();
  await migrate(pool(url));
  return () => new PostgresProductStateStore(pool(url));
});

describe('the alerter', () => {
  const connection = omniConnection({}, { alerts: { webhookUrlRef: 'ACME_ALERTS', sourceDownMinutes: 0.005 } });
  const env = { ACME_ALERTS: 'https://hooks.example/services/T000/B000/secret-token' };

  function recording(fail: () => boolean = () => false) {
    const sent: AlertPayload[] = [];
    const post = async (url: string, payload: AlertPayload) => {
      assert.equal(url, env.ACME_ALERTS);
      if (fail()) throw new Error('the receiver answered 500');
      sent.push(payload);
    };
    return { sent, post };
  }
  const freshStore = () => new FileProductStateStore(mkdtempSync(join(tmpdir(), 's2s-alerter-')));

  test('once per episode; its recovery once; a new episode alerts again', async () => {
    const { sent, post } = recording();
    const alerter = new Alerter(freshStore(), { env, post, backoffMs: 1 });
    await alerter.conditionHolds(connection, 'order_needs_attention', 'WEB-1', 'order WEB-1 needs a person: Stock code X not found');
    await alerter.conditionHolds(connection, 'order_needs_attention', 'WEB-1', 'order WEB-1 needs a person: Stock code X not found');
    await alerter.conditionEnded(connection, 'order_needs_attention', 'WEB-1', 'order WEB-1 is raised, as SO1');
    await alerter.conditionEnded(connection, 'order_needs_attention', 'WEB-1', 'order WEB-1 is raised, as SO1');
    await alerter.conditionHolds(connection, 'order_needs_attention', 'WEB-1', 'order WEB-1 needs a person: again');
    assert.deepEqual(
      sent.map((p) => [p.kind, p.state, p.subject]),
      [
        ['order_needs_attention', 'open', 'WEB-1'],
        ['order_needs_attention', 'recovered', 'WEB-1'],
        ['order_needs_attention', 'open', 'WEB-1'],
      ],
    );
    const [open, recovered] = sent;
    assert.match(open!.text, /^🔴 acme-omni: order WEB-1 needs a person: Stock code X not found \(since \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/);
    assert.equal(open!.connectionId, 'acme-omni');
    assert.equal(open!.connectionName, 'Acme (Omni Accounts)');
    assert.match(recovered!.text, /^✅ acme-omni: order WEB-1 is raised, as SO1 \(after \d+ s\)$/);
    assert.equal(recovered!.since, open!.since);
  });

  test('a failing receiver: tried a few times, the episode remembered only after a 2xx, sent by a later try', async () => {
    let failing = true;
    let calls = 0;
    const { sent, post } = recording(() => (calls++, failing));
    const alerter = new Alerter(freshStore(), { env, post, attempts: 2, backoffMs: 1 });
    await alerter.conditionHolds(connection, 'order_needs_attention', 'WEB-2', 'needs a person');
    assert.equal(calls, 2, 'two tries');
    assert.equal(sent.length, 0);
    failing = false;
    await alerter.flush(connection);
    assert.equal(sent.length, 1, 'the periodic check sends it');
    await alerter.flush(connection);
    await alerter.conditionHolds(connection, 'order_needs_attention', 'WEB-2', 'needs a person');
    assert.equal(sent.length, 1);
  });

  test('a source down: its alert only once sourceDownMinutes passed; recovered when it answers', async () => {
    const { sent, post } = recording();
    const alerter = new Alerter(freshStore(), { env, post, backoffMs: 1 });
    await alerter.conditionHolds(connection, 'source_down', 'source', 'down');
    assert.equal(sent.length, 0, 'not due yet (0.3 s)');
    await sleep(400);
    await alerter.conditionHolds(connection, 'source_down', 'source', 'down');
    await alerter.conditionHolds(connection, 'source_down', 'source', 'down');
    await alerter.conditionEnded(connection, 'source_down', 'source', 'answers again');
    assert.deepEqual(
      sent.map((p) => p.state),
      ['open', 'recovered'],
    );

    // Back before the delay: no alert, no recovery.
    await alerter.conditionHolds(connection, 'source_down', 'source', 'down');
    await alerter.conditionEnded(connection, 'source_down', 'source', 'answers again');
    assert.equal(sent.length, 2);
  });

  test('no webhook: nothing sent and no state kept; a named variable that is not set is said', async () => {
    const store = freshStore();
    const { sent, post } = recording();
    await new Alerter(store, { env: {}, post }).conditionHolds(omniConnection(), 'order_needs_attention', 'WEB-3', 'm');
    assert.deepEqual(await store.alertEpisodes('acme-omni'), []);
    assert.equal(sent.length, 0);
    assert.deepEqual(alertWebhookOf(omniConnection(), { ALERT_WEBHOOK_URL: 'https://hooks.example/x' }), { url: 'https://hooks.example/x' });
    assert.deepEqual(alertWebhookOf(connection, { ALERT_WEBHOOK_URL: 'https://hooks.example/x' }), {
      url: undefined,
      problem: 'alerts.webhookUrlRef names ACME_ALERTS, which is not set',
    });
    assert.deepEqual(alertWebhookOf(omniConnection(), { ALERT_WEBHOOK_URL: 'hooks.example' }), {
      url: undefined,
      problem: 'ALERT_WEBHOOK_URL is not an http(s) URL',
    });
  });

  test('the real sender: a 2xx is sent, a 500 is not', async () => {
    const { createServer } = await import('node:http');
    const bodies: unknown[] = [];
    let status = 500;
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        bodies.push(JSON.parse(body));
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as { port: number };
      const alerter = new Alerter(freshStore(), { env: { ACME_ALERTS: `http://127.0.0.1:${port}/hook/secret-token` }, attempts: 2, backoffMs: 1 });
      await alerter.conditionHolds(connection, 'order_needs_attention', 'WEB-4', 'm');
      assert.equal(bodies.length, 2, 'tried twice, refused');
      status = 200;
      await alerter.flush(connection);
      await alerter.flush(connection);
      assert.equal(bodies.length, 3);
      assert.equal((bodies[2] as AlertPayload).state, 'open');
    } finally {
      receiver.close();
    }
  });
});

describe('the pass rule', () => {
  const connection = { id: 'acme-omni', syncIntervalMinutes: 3, alerts: { sourceDownMinutes: 10, pauseAfterFailedPasses: 3 } };
  const now = new Date('2026-11-30T19:00:00Z');
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
  const pass = (outcome: ClosedPass['outcome'], closedMinutesAgo: number): ClosedPass => ({
    workflowId: 'product-sync/acme-omni',
    outcome,
    startedAt: minutesAgo(closedMinutesAgo + 1),
    closedAt: minutesAgo(closedMinutesAgo),
    message: outcome === 'completed' ? 'acme-omni: 1 page(s), 2 read' : 'Product sync of acme-omni: page 1 failed: refused login',
  });
  const schedule = { scheduleId: 'product-sync/acme-omni', exists: true, paused: false, note: '', createdAt: minutesAgo(600) };
  const decide = (input: Partial<PassCheckInput>) => decidePassAlerts({ connection, now, passes: [], schedule, pausedSince: null, ...input });

  test('the last pass failed: alert; completed: recovered, and not overdue', () => {
    const failed = decide({ passes: [pass('failed', 1), pass('completed', 4)] });
    assert.equal(failed.passFailed?.holds, true);
    // The run, never its failure (it may quote the source): the note and the alerts leave Temporal in plain.
    assert.equal(
      failed.passFailed!.message,
      'the last product pass failed (closed 2026-11-30 18:59 UTC): product-sync/acme-omni in the Web UI, or `npm run cli -- status acme-omni`, says why',
    );
    assert.equal(failed.overdue?.holds, false, 'a pass completed within twice the interval');
    assert.equal(failed.pauseNote, undefined);
    const fine = decide({ passes: [pass('completed', 1), pass('failed', 4)] });
    assert.equal(fine.passFailed?.holds, false);
    assert.equal(fine.schedulePaused, undefined);
    assert.deepEqual(decide({}).passFailed, undefined, 'no pass yet: nothing to say');
  });

  test('overdue: no completed pass for over twice the interval while the schedule runs', () => {
    const late = decide({ passes: [pass('completed', 7)] });
    assert.equal(late.overdue?.holds, true);
    assert.match(
      late.overdue!.message,
      /^no product pass has completed for 7 min, over twice the 3-minute interval \(the last one closed 2026-11-30 18:53 UTC\)/,
    );
    assert.equal(decide({ passes: [pass('completed', 5)] }).overdue?.holds, false);
    assert.equal(decide({}).overdue?.holds, true, 'never, and the schedule is old');
    assert.equal(decide({ schedule: { ...schedule, createdAt: minutesAgo(2) } }).overdue, undefined, 'a new schedule');
    assert.equal(decide({ passes: [pass('completed', 7)], schedule: { ...schedule, paused: true } }).overdue, undefined, 'paused');
    assert.equal(decide({ passes: [pass('failed', 1), pass('completed', 9)] }).overdue, undefined, 'the failure has its own alert');
    assert.equal(decide({ passes: [pass('completed', 9)], schedule: { ...schedule, exists: false } }).overdue, undefined);
  });

  test('paused after N failed passes in a row, with a note; counted again from the pause after a resume', () => {
    assert.equal(decide({ passes: [pass('failed', 1), pass('failed', 4), pass('completed', 7)] }).pauseNote, undefined);
    const decision = decide({ passes: [pass('failed', 1), pass('timed out', 4), pass('failed', 7), pass('completed', 10)] });
    assert.ok(
      decision.pauseNote?.startsWith(
        `${ENGINE_PAUSE_NOTE_PREFIX} at 2026-11-30 19:00 UTC: the last 3 product passes failed (latest: product-sync/acme-omni in the Web UI`,
      ),
    );
    assert.match(decision.pauseNote!, /Resume after the fix: npm run cli -- sync resume acme-omni$/);
    assert.doesNotMatch(decision.pauseNote!, /refused login/);
    assert.equal(decision.schedulePaused?.holds, true);
    const threeFailed = [pass('failed', 1), pass('failed', 4), pass('failed', 7)];
    // Paused by the engine: the episode holds (its note); by a person: not ours to alert.
    const ours = decide({ passes: threeFailed, schedule: { ...schedule, paused: true, note: decision.pauseNote! }, pausedSince: minutesAgo(0.5) });
    assert.equal(ours.pauseNote, undefined);
    assert.equal(ours.schedulePaused?.holds, true);
    assert.equal(decide({ passes: threeFailed, schedule: { ...schedule, paused: true, note: 'maintenance' } }).schedulePaused, undefined);
    // Resumed by a person: the failures before the pause do not count again.
    const resumed = decide({ passes: [pass('failed', 1), ...threeFailed.map((p) => ({ ...p, startedAt: minutesAgo(30) }))], pausedSince: minutesAgo(20) });
    assert.equal(resumed.pauseNote, undefined);
    assert.equal(resumed.schedulePaused, undefined, 'still the same episode, no pass completed');
    const done = decide({ passes: [pass('completed', 1)], pausedSince: minutesAgo(20) });
    assert.equal(done.schedulePaused?.holds, false, 'a pass completed after the resume');
    assert.equal(
      decide({ passes: threeFailed, connection: { ...connection, alerts: { ...connection.alerts, pauseAfterFailedPasses: 0 } } }).pauseNote,
      undefined,
      '0: never',
    );
  });
});
