// Errors as the official client surfaces them (spec §2.5): InstantAPIError with status and body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, id } from '@instantdb/admin';
import { apiURI, freshApp, freshDb } from './helpers.mjs';

test('§1.5 a wrong admin token is a 400 record-not-found app-admin-token', async () => {
  const { appId } = await freshApp();
  const db = init({ appId, adminToken: '00000000-0000-4000-8000-000000000000', apiURI });
  await assert.rejects(db.query({ goals: {} }), (err) => {
    assert.equal(err.name, 'InstantAPIError');
    assert.equal(err.status, 400);
    assert.equal(err.body.type, 'record-not-found');
    assert.equal(err.body.message, 'Record not found: app-admin-token');
    assert.equal(err.body.hint['record-type'], 'app-admin-token');
    assert.match(err.traceId, /^[0-9a-f]{32}$/);
    return true;
  });
});

test('§6.2 an invalid entity id is a validation error pointing at the step', async () => {
  const { db } = await freshDb(undefined, { disableValidation: true });
  await assert.rejects(db.transact(db.tx.goals['not-a-uuid'].update({ title: 'x' })), (err) => {
    assert.equal(err.status, 400);
    assert.equal(
      err.body.message,
      "Validation failed for steps: Invalid entity ID 'not-a-uuid'. Entity IDs must be UUIDs or lookup references.",
    );
    assert.deepEqual(err.body.hint.errors[0].in, [0, 2]);
    return true;
  });
});

test('§5.4 comparison on a schemaless attribute needs an index', async () => {
  const { db } = await freshDb();
  await db.transact(db.tx.goals[id()].update({ rank: 1 }));
  await assert.rejects(db.query({ goals: { $: { where: { rank: { $gt: 0 } } } } }), (err) => {
    assert.equal(err.status, 400);
    assert.equal(
      err.body.message,
      'Validation failed for query: The `goals.rank` attribute must be indexed to use comparison operators.',
    );
    return true;
  });
});
