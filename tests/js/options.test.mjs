// `init({ verbose, logger })` and `setInstantWarningsEnabled` (issue #16): what a call does is
// logged (method, path, status; never the token, a header or the query string); warnings are
// printed once and can be turned off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as edge from '../../pkg/node.js';
import { apiURI, control, freshApp } from './helpers.mjs';

const { appId, adminToken } = await freshApp();

/** A logger that keeps its lines. */
function recorder() {
  const lines = [];
  const keep = (...args) => lines.push(args.map(String).join(' '));
  return { lines, logger: { info: keep, debug: keep, error: keep } };
}

test('verbose: each request, its answer and each retry are logged, without secrets', async () => {
  const { lines, logger } = recorder();
  const db = edge.init({ appId, adminToken, apiURI, verbose: true, logger, retries: 2 });
  // Scoped to this app: the other test files run side by side.
  await control('/faults', { 'path-prefix': '/admin/query', status: 503, count: 1, 'app-id': appId });
  await db.query({ goals: {} }, { fetchOpts: { headers: { 'x-proxy-key': 'secret-key' } } });
  assert.deepEqual(lines.slice(0, 2), ['[instant-edge] POST /admin/query sent', '[instant-edge] POST /admin/query answered 503']);
  assert.match(lines[2], /^\[instant-edge\] POST \/admin\/query retrying in \d+ ms$/);
  assert.deepEqual(lines.slice(3), ['[instant-edge] POST /admin/query sent', '[instant-edge] POST /admin/query answered 200']);
  for (const line of lines) {
    assert.ok(!line.includes(adminToken) && !line.includes(appId) && !line.includes('secret-key'), line);
  }
  await db.asUser({ guest: true }).query({ goals: {} });
  assert.equal(lines.at(-1), '[instant-edge] POST /admin/query answered 200', 'asUser handles log too');
});

test('verbose: a live query logs open and close', async () => {
  const { lines, logger } = recorder();
  const db = edge.init({ appId, adminToken, apiURI, verbose: true, logger });
  const sub = db.subscribeQuery({ goals: {} });
  await sub[Symbol.asyncIterator]().next();
  sub.close();
  assert.deepEqual(lines, ['[instant-edge] POST /admin/subscribe-query live: open', '[instant-edge] POST /admin/subscribe-query live: closed']);
});

test('a logger without verbose gets nothing; a throwing logger fails no call', async () => {
  const { lines, logger } = recorder();
  await edge.init({ appId, adminToken, apiURI, logger }).query({ goals: {} });
  assert.deepEqual(lines, []);
  const throwing = { info: () => { throw new Error('logger broke'); }, debug() {}, error() {} };
  const result = await edge.init({ appId, adminToken, apiURI, verbose: true, logger: throwing }).query({ goals: {} });
  assert.deepEqual(result, { goals: [] });
});

test('warnings: the Instant Cloud fallback is said once, and setInstantWarningsEnabled(false) silences it', () => {
  const saved = process.env.INSTANT_API_URI;
  const realWarn = console.warn;
  const warnings = [];
  console.warn = (...args) => warnings.push(args.join(' '));
  delete process.env.INSTANT_API_URI;
  try {
    edge.setInstantWarningsEnabled(false);
    edge.init({ appId, adminToken });
    edge.init({ appId, adminToken, apiURI, useDateObjects: true });
    assert.deepEqual(warnings, []);
    edge.setInstantWarningsEnabled(true);
    edge.init({ appId, adminToken });
    edge.init({ appId, adminToken });
    edge.init({ appId, adminToken, apiURI });
    edge.init({ appId, adminToken, apiURI, useDateObjects: true });
    assert.deepEqual(warnings, [
      'instant-edge: no apiURI or INSTANT_API_URI: using Instant Cloud, which closes on 2027-08-31',
      'instant-edge: useDateObjects without a schema converts nothing',
    ]);
  } finally {
    console.warn = realWarn;
    process.env.INSTANT_API_URI = saved;
  }
});
