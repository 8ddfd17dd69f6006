// `fetchOpts` per call (issue #16): headers reach the emulator (read back from its request log,
// `GET /__emulator/requests`) exactly as the official client's do; the client's own headers
// cannot be replaced; the rest of `fetchOpts` goes to `fetch`; bad input is a typed error and
// sends nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/admin';
import * as edge from '../../pkg/node.js';
import { apiURI, freshApp } from './helpers.mjs';

const { appId, adminToken } = await freshApp();
const ours = edge.init({ appId, adminToken, apiURI });
const theirs = official.init({ appId, adminToken, apiURI });

/** The requests the emulator recorded for this app under `path`. */
async function recorded(path) {
  const response = await fetch(`${apiURI}/__emulator/requests?app-id=${appId}&path-prefix=${path}`);
  assert.equal(response.status, 200);
  return (await response.json()).requests;
}

const lastHeaders = async (path) => (await recorded(path)).at(-1).headers;

test('query: fetchOpts headers reach the server as the official client sends them', async () => {
  const fetchOpts = { headers: { 'X-Proxy-Key': 'k1', 'x-trace-id': 'abc' } };
  await theirs.query({ goals: {} }, { fetchOpts });
  const official = await lastHeaders('/admin/query');
  await ours.query({ goals: {} }, { fetchOpts });
  const edge = await lastHeaders('/admin/query');
  for (const headers of [official, edge]) {
    assert.equal(headers['x-proxy-key'], 'k1');
    assert.equal(headers['x-trace-id'], 'abc');
    assert.equal(headers.authorization, '[redacted]', 'the admin token is still sent (and the log hides it)');
  }
});

test('headers in each of the forms fetch takes: record, pairs, Headers', async () => {
  for (const headers of [{ 'x-form': 'record' }, [['x-form', 'pairs']], new Headers({ 'x-form': 'Headers' })]) {
    await ours.query({ goals: {} }, { fetchOpts: { headers } });
    const sent = await lastHeaders('/admin/query');
    assert.equal(sent['x-form'], headers instanceof Headers ? 'Headers' : Array.isArray(headers) ? 'pairs' : 'record');
  }
});

test('transact, debugQuery and subscribeQuery send them too', async () => {
  await ours.transact(edge.tx.goals[edge.id()].update({ title: 't' }), { fetchOpts: { headers: { 'x-call': 'transact' } } });
  assert.equal((await lastHeaders('/admin/transact'))['x-call'], 'transact');

  await ours.asUser({ guest: true }).debugQuery({ goals: {} }, { fetchOpts: { headers: { 'x-call': 'debug' } } });
  assert.equal((await lastHeaders('/admin/query_perms_check'))['x-call'], 'debug');

  await new Promise((resolve, reject) => {
    const sub = ours.subscribeQuery({ goals: {} }, (payload) => {
      sub.close();
      payload.type === 'ok' ? resolve() : reject(payload.error);
    }, { fetchOpts: { headers: { 'x-call': 'live' } } });
  });
  assert.equal((await lastHeaders('/admin/subscribe-query'))['x-call'], 'live');
});

test("the client's own headers cannot be replaced: a typed error, nothing sent", async () => {
  const before = (await recorded('/admin/')).length;
  for (const name of ['Authorization', 'as-email', 'app-id', 'Content-Type', 'content-length']) {
    const error = await ours.query({ goals: {} }, { fetchOpts: { headers: { [name]: 'x' } } }).then(() => null, (e) => e);
    assert.ok(error instanceof edge.InstantAPIError, name);
    assert.equal(error.kind, 'invalid-argument');
    assert.match(error.message, new RegExp(`\`${name.toLowerCase()}\` is set by the client`));
  }
  assert.throws(
    () => ours.subscribeQuery({ goals: {} }, () => {}, { fetchOpts: { headers: { authorization: 'Bearer other' } } }),
    (e) => e instanceof edge.InstantAPIError && e.kind === 'invalid-argument',
  );
  assert.equal((await recorded('/admin/')).length, before);
});

test('bad fetchOpts are typed errors: not an object, method or body, bad header, a throwing getter', async () => {
  const throwing = { get headers() { throw new RangeError('no headers today'); } };
  const cases = [
    [5, /must be an object/],
    [{ method: 'GET' }, /cannot set method or body/],
    [{ body: '{}' }, /cannot set method or body/],
    [{ headers: { 'bad name': 'x' } }, /could not be read/],
    [{ headers: { 'x-ok': 'line\nbreak' } }, /could not be read/],
    [throwing, /no headers today/],
  ];
  for (const [fetchOpts, message] of cases) {
    const error = await ours.transact([], { fetchOpts }).then(() => null, (e) => e);
    assert.ok(error instanceof edge.InstantAPIError, String(message));
    assert.equal(error.kind, 'invalid-argument');
    assert.match(error.message, message);
  }
  const error = await ours.query({ goals: {} }, { fetchOpts: throwing }).then(() => null, (e) => e);
  assert.ok(error.cause instanceof RangeError, 'what reading threw is the cause');
});

test('the rest of fetchOpts goes to every fetch; its signal cancels the call', async () => {
  const realFetch = globalThis.fetch;
  const inits = [];
  globalThis.fetch = (url, init) => (inits.push(init), realFetch(url, init));
  try {
    await ours.query({ goals: {} }, { fetchOpts: { cache: 'no-store', keepalive: true } });
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.equal(inits.length, 1);
  assert.equal(inits[0].cache, 'no-store');
  assert.equal(inits[0].keepalive, true);
  assert.equal(inits[0].method, 'POST');

  const error = await ours.query({ goals: {} }, { fetchOpts: { signal: AbortSignal.abort() } }).then(() => null, (e) => e);
  assert.equal(error?.kind, 'aborted');
});

test("a live query's signal (or fetchOpts.signal) closes it", async () => {
  for (const opts of [(signal) => ({ signal }), (signal) => ({ fetchOpts: { signal } })]) {
    const controller = new AbortController();
    const sub = ours.subscribeQuery({ goals: {} }, undefined, opts(controller.signal));
    const first = await sub[Symbol.asyncIterator]().next();
    assert.equal(first.value.type, 'ok');
    assert.equal(sub.isClosed, false);
    controller.abort();
    assert.equal(sub.isClosed, true);
    assert.deepEqual(await sub[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  }
  const already = ours.subscribeQuery({ goals: {} }, undefined, { signal: AbortSignal.abort() });
  assert.equal(already.isClosed, true);
});
