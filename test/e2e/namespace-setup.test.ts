/**
 * `setup` on a namespace that is not the embedded dev server's: a real dev server started WITHOUT the
 * project's search attributes and with its default retention (24 hours), as a self-hosted cluster's
 * fresh namespace is. The setup registers the attributes, sets the retention, changes nothing the
 * second time, refuses a bad retention, and afterwards an order start (which carries the search
 * attributes) works. Also through the CLI process (`npm run cli -- setup`), and the Temporal Cloud
 * answers (with a stubbed connection: the dev server does not refuse anything).
 */
import { after, before, describe, test } from 'node:test';
import { runCliProcess as runCliProcessIn } from '../helpers/cli';
import assert from 'node:assert/strict';
import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { ensureTemporalBinaries } from '../../scripts/temporal-binaries';
import {
  DEFAULT_RETENTION_DAYS,
  describeSetupReport,
  NamespaceSetupError,
  parseRetentionDays,
  setupNamespace,
  SetupOptionsError,
} from '../../client/namespace-setup';
import { runCli } from '../../client/cli';
import { deliverOrder } from '../../temporal/deliver-order';
import { projectSearchAttributes } from '../../contracts/search-attributes';
import { testDataConverter } from '../helpers/temporal';
import { waitFor } from '../helpers/orders';

const DAY_SECONDS = 24 * 60 * 60;
/** A second namespace of the same server, left untouched for the CLI process to set up. */
const CLI_NAMESPACE = 'engine-cli';
const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

async function retentionSeconds(connection: Connection, namespace: string): Promise<number> {
  const described = await connection.workflowService.describeNamespace({ namespace });
  return Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
}

async function customAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(Object.entries(listed.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
}

/** `npm run cli -- setup …` as its own process, pointed at the test server. */
/** The CLI as its own process, without the payload key or retention a developer's shell may hold. */
function runCliProcess(args: string[], env: NodeJS.ProcessEnv) {
  return runCliProcessIn(args, { PAYLOAD_CODEC_KEYS: '', TEMPORAL_RETENTION_DAYS: '', ...env });
}

describe('namespace setup', () => {
  let env: TestWorkflowEnvironment;

  before(async () => {
    const { cli } = ensureTemporalBinaries();
    // No `searchAttributes` here: the namespace starts as a self-hosted cluster's fresh one would.
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        log: { format: 'pretty', level: 'error' },
        extraArgs: ['--namespace', CLI_NAMESPACE],
      },
      client: { dataConverter: testDataConverter },
    });
  });
  after(async () => {
    await env?.teardown();
  });

  test('before setup, an order start is refused: the search attributes are missing', async () => {
    assert.deepEqual(await customAttributes(env.connection, 'default'), {});
    assert.equal(await retentionSeconds(env.connection, 'default'), DAY_SECONDS);
    await assert.rejects(
      deliverOrder(env.client, { id: 'setup-omni', sourceKind: 'omni' }, 'WEB-SETUP-0', { via: 'webhook' }),
      (error: Error & { cause?: { details?: string } }) => {
        assert.match(`${error.message} ${error.cause?.details ?? ''}`, /no mapping defined for search attribute (ConnectionId|SourceKind|ChannelOrderCode)/);
        return true;
      },
    );
  });

  test('setup registers the search attributes and sets the retention to 30 days', async () => {
    const report = await setupNamespace(env.connection, { namespace: 'default', retentionDays: DEFAULT_RETENTION_DAYS });
    assert.equal(report.changed, true);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(
      report.searchAttributes.map((a) => [a.name, a.type, a.outcome]),
      projectSearchAttributes.map((key) => [key.name, 'Keyword', 'added']),
    );
    assert.deepEqual(report.retention, { days: 30, previousDays: 1, outcome: 'set' });

    const listed = await customAttributes(env.connection, 'default');
    for (const key of projectSearchAttributes) assert.equal(listed[key.name], KEYWORD, `${key.name} is listed as Keyword`);
    assert.equal(await retentionSeconds(env.connection, 'default'), 30 * DAY_SECONDS);
    assert.deepEqual(describeSetupReport(report), [
      'search attribute ConnectionId (Keyword): added',
      'search attribute SourceKind (Keyword): added',
      'search attribute ChannelOrderCode (Keyword): added',
      'search attribute OrderState (Keyword): added',
      'retention: set to 30 days (was 1 day)',
      'namespace default: ready',
    ]);
  });

  test('a second run changes nothing and says so', async () => {
    const report = await setupNamespace(env.connection, { namespace: 'default', retentionDays: 30 });
    assert.equal(report.changed, false);
    assert.ok(report.searchAttributes.every((a) => a.outcome === 'present'));
    assert.equal(report.retention.outcome, 'unchanged');
    assert.equal(describeSetupReport(report).at(-1), 'namespace default: ready, nothing changed');
    assert.equal(await retentionSeconds(env.connection, 'default'), 30 * DAY_SECONDS);
  });

  test('after setup, an order start with the search attributes works and is found by them', async () => {
    const outcome = await deliverOrder(env.client, { id: 'setup-omni', sourceKind: 'omni' }, 'WEB-SETUP-1', { via: 'webhook' });
    assert.equal(outcome, 'delivered');
    const found = await waitFor(async () => {
      for await (const execution of env.client.workflow.list({ query: `ChannelOrderCode = 'WEB-SETUP-1' AND ConnectionId = 'setup-omni'` })) {
        return execution.workflowId;
      }
      return undefined;
    }, 'the order to be listed by its search attributes');
    assert.equal(found, 'raise-order/setup-omni/WEB-SETUP-1');
    await env.client.workflow.getHandle(found).terminate('test over: no worker runs here');
  });

  test('a bad retention is refused with a clear message, and nothing is asked of Temporal', async () => {
    for (const days of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(setupNamespace(env.connection, { namespace: 'default', retentionDays: days }), (error: Error) => {
        assert.ok(error instanceof SetupOptionsError);
        assert.match(error.message, /^The retention must be a whole number of days, at least 1 \(got .+\), e\.g\. 30$/);
        return true;
      });
    }
    for (const text of ['0', '-3', '1.5', 'thirty', '30d']) {
      assert.throws(
        () => parseRetentionDays(text),
        new RegExp(`^SetupOptionsError: --retention-days must be a whole number of days, at least 1 \\(got '${text}'\\)`),
      );
    }
    assert.equal(parseRetentionDays(undefined), 30);
    assert.equal(parseRetentionDays(' 7 '), 7);
    assert.throws(() => parseRetentionDays('0', 'TEMPORAL_RETENTION_DAYS'), /^SetupOptionsError: TEMPORAL_RETENTION_DAYS must be a whole number/);

    const lines: string[] = [];
    const code = await runCli(['setup', '--retention-days', '0'], {
      client: () => Promise.reject(new Error('not to be called')),
      connections: () => [],
      out: (line) => lines.push(line),
    });
    assert.equal(code, 2);
    assert.deepEqual(lines, ["error: --retention-days must be a whole number of days, at least 1 (got '0'), e.g. 30"]);
    assert.equal(await retentionSeconds(env.connection, 'default'), 30 * DAY_SECONDS);
  });

  test('an attribute that exists with another type is a clear error; the rest is still done', async () => {
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { SetupProbe: encodeSearchAttributeIndexedValueType(SearchAttributeType.TEXT)! },
    });
    const error = await setupNamespace(env.connection, {
      namespace: 'default',
      retentionDays: 31,
      searchAttributes: [...projectSearchAttributes, defineSearchAttributeKey('SetupProbe', SearchAttributeType.KEYWORD)],
    }).then(
      () => assert.fail('a wrong type must not pass'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NamespaceSetupError);
    assert.match(error.message, /^Namespace 'default' is not ready:\n- search attribute SetupProbe exists as Text, but the engine needs Keyword/);
    assert.match(error.message, /temporal operator search-attribute remove --namespace default --name SetupProbe/);
    assert.equal(error.report?.retention.outcome, 'set');
    assert.equal(await retentionSeconds(env.connection, 'default'), 31 * DAY_SECONDS);
    assert.match(
      describeSetupReport(error.report!).join('\n'),
      /SetupProbe \(Keyword\): exists as Text, NOT usable[\s\S]*namespace default: NOT ready \(1 problem\)/,
    );
    await setupNamespace(env.connection, { namespace: 'default', retentionDays: 30 });
  });

  test('an unknown namespace is said plainly, with how to create it', async () => {
    await assert.rejects(setupNamespace(env.connection, { namespace: 'no-such-namespace', retentionDays: 30 }), (error: Error) => {
      assert.ok(error instanceof NamespaceSetupError);
      assert.match(
        error.message,
        /Namespace 'no-such-namespace' is not ready:\n- it does not exist on .+: create it first \(self-hosted: `temporal operator namespace create --namespace no-such-namespace --retention 720h`/,
      );
      return true;
    });
  });

  test('through the CLI process: `npm run cli -- setup` sets up a fresh namespace, then finds it right', async () => {
    const processEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: CLI_NAMESPACE };
    assert.deepEqual(await customAttributes(env.connection, CLI_NAMESPACE), {});

    const help = await runCliProcess(['setup', '--help'], processEnv);
    assert.equal(help.code, 0);
    assert.match(help.stdout.replace(/\s+/g, ' '), /Run it once per namespace, and again after an upgrade that adds a search attribute/);
    assert.match(help.stdout, /--retention-days <days>/);

    const first = await runCliProcess(['setup'], processEnv);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    assert.deepEqual(first.stdout.trim().split('\n'), [
      'search attribute ConnectionId (Keyword): added',
      'search attribute SourceKind (Keyword): added',
      'search attribute ChannelOrderCode (Keyword): added',
      'search attribute OrderState (Keyword): added',
      'retention: set to 30 days (was 1 day)',
      `namespace ${CLI_NAMESPACE}: ready`,
    ]);
    const listed = await customAttributes(env.connection, CLI_NAMESPACE);
    for (const key of projectSearchAttributes) assert.equal(listed[key.name], KEYWORD);
    assert.equal(await retentionSeconds(env.connection, CLI_NAMESPACE), 30 * DAY_SECONDS);

    const second = await runCliProcess(['setup', '--retention-days', '30'], processEnv);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /retention: already 30 days\nnamespace engine-cli: ready, nothing changed\n$/);
    assert.doesNotMatch(second.stdout, /added/);

    const fromEnv = await runCliProcess(['setup'], { ...processEnv, TEMPORAL_RETENTION_DAYS: '45' });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /retention: set to 45 days \(was 30 days\)/);
    assert.equal(await retentionSeconds(env.connection, CLI_NAMESPACE), 45 * DAY_SECONDS);

    const bad = await runCliProcess(['setup', '--retention-days', 'abc'], processEnv);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr, "error: --retention-days must be a whole number of days, at least 1 (got 'abc'), e.g. 30\n");
    const badEnv = await runCliProcess(['setup'], { ...processEnv, TEMPORAL_RETENTION_DAYS: '0' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /^error: TEMPORAL_RETENTION_DAYS must be a whole number of days, at least 1 \(got '0'\)/);
    assert.equal(await retentionSeconds(env.connection, CLI_NAMESPACE), 45 * DAY_SECONDS);

    const missing = await runCliProcess(['setup'], { ...processEnv, TEMPORAL_NAMESPACE: 'nowhere' });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Namespace 'nowhere' is not ready:\n- it does not exist on /);
  });

  test('on Temporal Cloud, what a client may not change is named with the tcld command to run instead', async () => {
    const refusal = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
    const calls: string[] = [];
    const cloud = {
      options: { address: 'orders.a1b2c.tmprl.cloud:7233' },
      withMetadata: <T>(_metadata: unknown, fn: () => Promise<T>) => fn(),
      workflowService: {
        describeNamespace: async () => ({ config: { workflowExecutionRetentionTtl: { seconds: 7 * DAY_SECONDS } } }),
        updateNamespace: async () => {
          calls.push('updateNamespace');
          throw refusal(7, 'Request unauthorized.');
        },
      },
      operatorService: {
        listSearchAttributes: async () => ({ customAttributes: { ConnectionId: KEYWORD }, systemAttributes: {} }),
        addSearchAttributes: async () => {
          calls.push('addSearchAttributes');
          throw refusal(7, 'Request unauthorized.');
        },
      },
    } as unknown as Connection;

    const error = await setupNamespace(cloud, { namespace: 'orders.a1b2c', retentionDays: 30 }).then(
      () => assert.fail('must not pass'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NamespaceSetupError);
    assert.deepEqual(calls, ['addSearchAttributes'], 'the retention is not even tried through UpdateNamespace on Cloud');
    assert.match(
      error.message,
      /search attribute\(s\) SourceKind \(Keyword\), ChannelOrderCode \(Keyword\), OrderState \(Keyword\) could not be added by this client: on Temporal Cloud add them with `tcld namespace search-attributes add --namespace orders\.a1b2c --search-attribute "SourceKind=Keyword" --search-attribute "ChannelOrderCode=Keyword" --search-attribute "OrderState=Keyword"`, or in the Cloud UI/,
    );
    assert.match(
      error.message,
      /the retention must be 30 days \(it is 7 days\)[^\n]*`tcld namespace retention set --namespace orders\.a1b2c --retention-days 30`/,
    );
    assert.doesNotMatch(error.message, /Request unauthorized|PERMISSION_DENIED/);
    assert.deepEqual(describeSetupReport(error.report!), [
      'search attribute ConnectionId (Keyword): already present',
      'search attribute SourceKind (Keyword): NOT added',
      'search attribute ChannelOrderCode (Keyword): NOT added',
      'search attribute OrderState (Keyword): NOT added',
      'retention: NOT set to 30 days (is 7 days)',
      'namespace orders.a1b2c: NOT ready (2 problems)',
    ]);

    // A self-hosted cluster whose authorizer refuses: the Temporal CLI commands for an administrator.
    const selfHosted = { ...cloud, options: { address: 'temporal.internal:7233' } } as unknown as Connection;
    const refused = await setupNamespace(selfHosted, { namespace: 'orders', retentionDays: 30 }).then(
      () => assert.fail('must not pass'),
      (e: unknown) => e as Error,
    );
    assert.match(refused.message, /`temporal operator search-attribute create --namespace orders --name SourceKind --type Keyword`/);
    assert.match(refused.message, /`temporal operator namespace update --namespace orders --retention 720h`/);
  });
});
