import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOmniSimulator } from '../../simulators';
import { connectionFailure, getJson, OMNI_LOGIN, omniUrl, postJson } from './helpers';

const startOmni = () =>
  startOmniSimulator({ port: 0, items: 20, userName: OMNI_LOGIN.UserName, password: OMNI_LOGIN.Password, companyName: OMNI_LOGIN.CompanyName });

test('offline refuses connections, and coming back listens on the same port', async () => {
  const omni = await startOmni();
  try {
    const ping = omniUrl(omni.url, 'Company');
    assert.equal((await getJson(ping)).status, 200); // leaves a keep-alive socket that offline must close too
    await omni.setOffline(true);
    assert.equal(omni.isOnline(), false);
    assert.equal(await connectionFailure(ping), 'ECONNREFUSED');
    assert.equal(await connectionFailure(`${omni.url}/_control/state`), 'ECONNREFUSED', 'the control plane goes down with it');
    await omni.setOffline(false);
    assert.equal(new URL(omni.url).port, String(omni.port));
    assert.equal((await getJson(ping)).status, 200);
  } finally {
    await omni.close();
  }
});

test('offlineForMs, set through the control route, comes back by itself', async () => {
  const omni = await startOmni();
  try {
    const answer = await postJson(`${omni.url}/_control/faults`, { offlineForMs: 300 });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.faults.offline, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await connectionFailure(omniUrl(omni.url, 'Company')), 'ECONNREFUSED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await getJson(omniUrl(omni.url, 'Company'))).status, 200);
  } finally {
    await omni.close();
  }
});

test('close while offline-for-a-while cancels the return', async () => {
  const omni = await startOmni();
  await omni.setFaults({ offlineForMs: 100 });
  await omni.close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await connectionFailure(omniUrl(omni.url, 'Company')), 'ECONNREFUSED');
});

test('errorRate 1 with status 429 answers Retry-After; clearing faults restores answers', async () => {
  const omni = await startOmni();
  try {
    await omni.setFaults({ errorRate: 1, status: 429, retryAfterSeconds: 7 });
    const limited = await getJson(omniUrl(omni.url, 'Company'));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal(omni.requests().at(-1)?.outcome, 'fault:error');
    await omni.setFaults({ status: 502 });
    assert.equal((await getJson(omniUrl(omni.url, 'Company'))).status, 502);
    await fetch(`${omni.url}/_control/faults`, { method: 'DELETE' });
    assert.equal((await getJson(omniUrl(omni.url, 'Company'))).status, 200);
  } finally {
    await omni.close();
  }
});

test('errorRate 0.5 fails about half the calls, the same ones for the same seed', async () => {
  const outcomes = async () => {
    const omni = await startOmni();
    try {
      await omni.setFaults({ errorRate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await getJson(omniUrl(omni.url, 'Company'))).status);
      return statuses;
    } finally {
      await omni.close();
    }
  };
  const first = await outcomes();
  const failed = first.filter((status) => status === 503).length;
  assert.ok(failed > 8 && failed < 32, `${failed} of 40 failed`);
  assert.deepEqual(await outcomes(), first);
});

test('authFailure, malformed and latency shape the answers', async () => {
  const omni = await startOmni();
  try {
    await omni.setFaults({ authFailure: true });
    assert.deepEqual((await getJson(omniUrl(omni.url, 'Company'))).body, { error: 'Invalid username or password' });
    await omni.setFaults({ authFailure: false, malformed: true });
    const malformed = await getJson(omniUrl(omni.url, 'Stock Item'));
    assert.equal(malformed.status, 200);
    assert.equal(malformed.body.stock_items, undefined);
    await omni.setFaults({ malformed: 'text' });
    const text = await fetch(omniUrl(omni.url, 'Stock Item'));
    assert.match(await text.text(), /<html>/);
    await omni.setFaults({ malformed: false, latencyMs: 150 });
    const started = Date.now();
    assert.equal((await getJson(omniUrl(omni.url, 'Company'))).status, 200);
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(omni.faults(), { authFailure: false, malformed: false, latencyMs: 150, offline: false });
  } finally {
    await omni.close();
  }
});

test('the control plane: request log, fault validation, state', async () => {
  const omni = await startOmni();
  try {
    await getJson(omniUrl(omni.url, 'Company'));
    const log = await getJson(`${omni.url}/_control/requests`);
    assert.equal(log.body.requests.length, 1, 'control calls are not logged');
    assert.equal(log.body.requests[0].query.Password, '***');
    await fetch(`${omni.url}/_control/requests`, { method: 'DELETE' });
    assert.deepEqual(omni.requests(), []);
    assert.equal((await postJson(`${omni.url}/_control/faults`, { errorRate: 2 })).status, 400);
    assert.equal((await postJson(`${omni.url}/_control/faults`, { nonsense: true })).status, 400);
    const state = await getJson(`${omni.url}/_control/state`);
    assert.equal(state.body.catalog_size, 20);
    assert.deepEqual(state.body.sales_orders, []);
  } finally {
    await omni.close();
  }
});
