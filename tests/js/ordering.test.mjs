// Ordering and pagination through the official client (spec §5.5, §5.6).
//
// `db.query(q, opts)` on the admin client returns the response body as is (it takes only
// `ruleParams` and `fetchOpts`), and /admin/query sends no page info (§5.6: only subscriptions
// do), so cursors cannot be obtained here: `first`/`last`/`offset`/`limit` are checked, and that
// no `pageInfo` key appears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { i, id } from '@instantdb/admin';
import { freshDb, byId, ids, pause, rejectsWithApiError } from './helpers.mjs';

const schema = i.schema({
  entities: {
    items: i.entity({ rank: i.number().indexed().optional(), label: i.string().optional() }),
    tags: i.entity({ name: i.string().optional() }),
  },
  links: {
    itemsTags: { forward: { on: 'items', has: 'many', label: 'tags' }, reverse: { on: 'tags', has: 'many', label: 'items' } },
  },
});
const { db } = await freshDb(schema);

// One transaction: equal serverCreatedAt; ranks with ties and nulls.
const it = { a: id(), b: id(), c: id(), d: id(), e: id() };
const tag = { x: id(), y: id(), z: id() };
await db.transact([
  db.tx.items[it.a].update({ rank: 1, label: 'a' }),
  db.tx.items[it.b].update({ rank: 1, label: 'b' }),
  db.tx.items[it.c].update({ rank: 2, label: 'c' }),
  db.tx.items[it.d].update({ label: 'd' }), // rank never written: indexed ⇒ null (§5.9)
  db.tx.items[it.e].update({ rank: null, label: 'e' }),
  db.tx.tags[tag.x].update({ name: 'beta' }),
  db.tx.tags[tag.y].update({ name: 'alpha' }),
  db.tx.tags[tag.z].update({ name: 'gamma' }),
  db.tx.items[it.a].link({ tags: [tag.x, tag.y, tag.z] }),
]);
// rank asc: nulls first, ties by UUID ascending (§5.5).
const asc = [...byId([it.d, it.e]), ...byId([it.a, it.b]), it.c];
// rank desc: nulls last, and the UUID tie-break is reversed too (§10 item 11).
const desc = [it.c, ...byId([it.a, it.b]).reverse(), ...byId([it.d, it.e]).reverse()];
const items = async (options) => {
  const result = await db.query({ items: { $: options } });
  assert.deepEqual(Object.keys(result), ['items'], 'the admin answer has no pageInfo (§5.6)');
  return ids(result.items);
};

test('§5.5 default order: serverCreatedAt, ties by UUID', async () => {
  assert.deepEqual(await items({}), byId(Object.values(it)));
});

test('§5.5 serverCreatedAt is the creating transaction: later transactions sort later whatever the id', async () => {
  const late = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
  const later = '00000000-0000-4000-8000-000000000000';
  await db.transact(db.tx.events[late].update({ n: 1 }));
  await pause(20);
  await db.transact(db.tx.events[later].update({ n: 2 }));
  await pause(20);
  await db.transact(db.tx.events[late].update({ n: 3 })); // an update keeps serverCreatedAt (§6.8)
  assert.deepEqual(ids((await db.query({ events: {} })).events), [late, later]);
  const descending = await db.query({ events: { $: { order: { serverCreatedAt: 'desc' } } } });
  assert.deepEqual(ids(descending.events), [later, late]);
});

test('§5.5 order asc/desc on an indexed typed attribute: nulls first/last, ties by UUID', async () => {
  assert.deepEqual(await items({ order: { rank: 'asc' } }), asc);
  assert.deepEqual(await items({ order: { rank: 'desc' } }), desc);
});

test('§5.6 limit, first, offset take from the ordered rows', async () => {
  assert.deepEqual(await items({ order: { rank: 'asc' }, limit: 2 }), asc.slice(0, 2));
  assert.deepEqual(await items({ order: { rank: 'asc' }, first: 2 }), asc.slice(0, 2));
  assert.deepEqual(await items({ order: { rank: 'asc' }, offset: 2, limit: 2 }), asc.slice(2, 4));
  assert.deepEqual(await items({ order: { rank: 'desc' }, offset: 1, first: 3 }), desc.slice(1, 4));
  assert.deepEqual(await items({ order: { rank: 'asc' }, offset: 4 }), asc.slice(4));
  assert.deepEqual(await items({ order: { rank: 'asc' }, offset: 9, limit: 2 }), []);
});

test('§5.6 last takes from the back and keeps the normal order', async () => {
  assert.deepEqual(await items({ order: { rank: 'asc' }, last: 2 }), asc.slice(3));
  assert.deepEqual(await items({ order: { rank: 'desc' }, last: 3 }), desc.slice(2));
});

test('§5.5 nested order works on any attribute (no index needed); default nested order is UUID here', async () => {
  const byName = await db.query({ items: { $: { where: { id: it.a } }, tags: { $: { order: { name: 'asc' } } } } });
  assert.deepEqual(ids(byName.items[0].tags), [tag.y, tag.x, tag.z]);
  const byNameDesc = await db.query({ items: { $: { where: { id: it.a } }, tags: { $: { order: { name: 'desc' } } } } });
  assert.deepEqual(ids(byNameDesc.items[0].tags), [tag.z, tag.x, tag.y]);
  const plain = await db.query({ items: { $: { where: { id: it.a } }, tags: {} } });
  assert.deepEqual(ids(plain.items[0].tags), byId(Object.values(tag)));
});

test('§5.3 limit on a nested form is accepted and ignored', async () => {
  const { items: [item] } = await db.query({ items: { $: { where: { id: it.a } }, tags: { $: { limit: 1 } } } });
  assert.equal(item.tags.length, 3);
});

test('§5.5 top-level order needs an indexed typed attribute', async () => {
  const { db: loose } = await freshDb(undefined, { disableValidation: true });
  await loose.transact(loose.tx.items[id()].update({ label: 'x' }));
  await rejectsWithApiError(loose.query({ items: { $: { order: { label: 'asc' } } } }), { status: 400, type: 'validation-failed' });
  await rejectsWithApiError(db.query({ items: { $: { order: { label: 'asc' } } } }), { status: 400, type: 'validation-failed' });
  await rejectsWithApiError(db.query({ items: { $: { order: { nope: 'asc' } } } }), {
    status: 400,
    type: 'validation-failed',
    message: /There is no `nope` attribute for items\./,
  });
});

test('§5.3 invalid pagination options are 400 validation-failed', async () => {
  await rejectsWithApiError(db.query({ items: { $: { limit: -1 } } }), {
    status: 400,
    type: 'validation-failed',
    message: /The limit field must be a positive integer\. Got -1\./,
  });
  await rejectsWithApiError(db.query({ items: { $: { limit: 1, first: 1 } } }), {
    status: 400,
    type: 'validation-failed',
    message: /Only provide one of `limit` or `first`\./,
  });
  await rejectsWithApiError(db.query({ items: { $: { order: { rank: 'DESC' } } } }), {
    status: 400,
    type: 'validation-failed',
    message: /We only support "asc" or "desc" in the `order` clause\. Got "DESC"\./,
  });
});
