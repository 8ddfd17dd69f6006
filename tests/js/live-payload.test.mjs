// Live-query payloads shaped exactly as @instantdb/admin shapes them (issue #16), for what the
// emulator never sends: results without `result-meta`. A local server plays a subscribe-query
// stream; both clients subscribe to it and their first payloads must be deep-equal.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import * as official from '@instantdb/admin';
import * as edge from '../../pkg/node.js';

const appId = '8aa64e4c-64f9-472e-8a61-3fa28870e6cb';
const adminToken = '0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0';

/** A server answering every subscribe-query with `events` (then holding the stream open). */
async function sseServer(events) {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('retry:500\n\n');
    for (const event of events) response.write(`data:${JSON.stringify(event)}\n\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { apiURI: `http://127.0.0.1:${server.address().port}`, close: () => server.closeAllConnections?.() ?? server.close() };
}

async function firstPayload(client, apiURI) {
  const db = client.init({ appId, adminToken, apiURI });
  return new Promise((resolve, reject) => {
    const subscription = db.subscribeQuery({ goals: {} }, (payload) => {
      subscription.close();
      if (payload.type === 'ok') resolve(payload);
      else reject(payload.error);
    });
  });
}

const init = { op: 'sse-init', 'machine-id': 'm-1', 'session-id': 's-1' };

test('a result without result-meta has pageInfo undefined, as the official payload', async () => {
  const server = await sseServer([init, { op: 'add-query-ok', result: { goals: [{ id: 'g' }] } }]);
  try {
    const theirs = await firstPayload(official, server.apiURI);
    const ours = await firstPayload(edge, server.apiURI);
    assert.equal(theirs.pageInfo, undefined);
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
    assert.deepEqual(ours, theirs);
  } finally {
    server.close();
  }
});

test('a result with page info maps it to the official names', async () => {
  const pageInfo = { goals: { 'start-cursor': ['a', 'b', 1, 2], 'end-cursor': ['c', 'd', 3, 4], 'has-next-page?': true, 'has-previous-page?': false } };
  const server = await sseServer([init, { op: 'add-query-ok', result: { goals: [] }, 'result-meta': { 'page-info': pageInfo } }]);
  try {
    const theirs = await firstPayload(official, server.apiURI);
    const ours = await firstPayload(edge, server.apiURI);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.pageInfo.goals, { startCursor: ['a', 'b', 1, 2], endCursor: ['c', 'd', 3, 4], hasNextPage: true, hasPreviousPage: false });
  } finally {
    server.close();
  }
});
