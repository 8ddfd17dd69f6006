// InstaML through the official client's `tx` builder (spec §6): every op, lookups, ordering
// inside one transaction, value handling. No `schema` is passed to `init`, so the client sends
// `throw-on-missing-attrs?: false` and unknown attributes are auto-created (§6.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { id, lookup } from '@instantdb/admin';
import { freshDb, goalsSchema, byId, ids, rejectsWithApiError } from './helpers.mjs';

const { db } = await freshDb(goalsSchema);
const one = async (ns, entityId, extra = {}) =>
  (await db.query({ [ns]: { $: { where: { id: entityId } }, ...extra } }))[ns];

test('id() makes lower-case v4 UUIDs', () => {
  assert.match(id(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(id(), id());
});

test('§6.8 transact answers exactly {tx-id} with a strictly increasing integer', async () => {
  const a = await db.transact(db.tx.todos[id()].update({ text: 'a' }));
  const b = await db.transact(db.tx.todos[id()].update({ text: 'b' }));
  assert.deepEqual(Object.keys(a), ['tx-id']);
  assert.ok(Number.isInteger(a['tx-id']) && a['tx-id'] > 0);
  assert.ok(b['tx-id'] > a['tx-id']);
  const empty = await db.transact([]);
  assert.ok(empty['tx-id'] > b['tx-id'], 'an empty step list still makes a transaction (§3.2)');
});

test('§6.5 update upserts, overwrites given attributes, keeps the others; null is stored', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].update({ text: 'x', done: false, note: 'keep' }));
  await db.transact(db.tx.todos[todo].update({ done: true, note: null }));
  assert.deepEqual(await one('todos', todo), [{ id: todo, text: 'x', done: true, note: null }]);
});

test('§6.5 update with {upsert: false}: fine on an existing entity, 400 on a missing one', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].update({ text: 'x' }));
  await db.transact(db.tx.todos[todo].update({ text: 'y' }, { upsert: false }));
  assert.deepEqual(await one('todos', todo), [{ id: todo, text: 'y', done: null }]);
  const missing = id();
  await rejectsWithApiError(db.transact(db.tx.todos[missing].update({ text: 'y' }, { upsert: false })), {
    status: 400,
    type: 'validation-failed',
    message: new RegExp(`^Validation failed for tx-step: Updating entities that don't exist: ${missing}`),
  });
  assert.deepEqual(await one('todos', missing), []);
});

test('§6.5 create inserts; create on an existing entity names the id once per written triple', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].create({ text: 'first' }));
  assert.deepEqual(await one('todos', todo), [{ id: todo, text: 'first', done: null }]);
  await rejectsWithApiError(db.transact(db.tx.todos[todo].create({ text: 'again' })), {
    status: 400,
    type: 'validation-failed',
    message: `Validation failed for tx-step: Creating entities that exist: ${todo}, ${todo}`,
  });
  assert.deepEqual(await one('todos', todo), [{ id: todo, text: 'first', done: null }]);
});

test('§6.5 create: the same UUID may exist in another namespace', async () => {
  const shared = id();
  await db.transact(db.tx.todos[shared].create({ text: 'todo' }));
  await db.transact(db.tx.notes[shared].create({ body: 'note' }));
  assert.deepEqual(await one('notes', shared), [{ id: shared, body: 'note' }]);
  assert.deepEqual(await one('todos', shared), [{ id: shared, text: 'todo', done: null }]);
});

test('§6.5 merge deep-merges objects, replaces arrays and scalars, deletes null keys', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].update({ meta: { a: { b: 1, c: 2 }, list: [1, 2], keep: { x: null } }, count: 1 }));
  await db.transact(db.tx.todos[todo].merge({ meta: { a: { c: null, d: 3 }, list: [9] }, count: { now: 'object' } }));
  const [row] = await one('todos', todo);
  assert.deepEqual(row.meta, { a: { b: 1, d: 3 }, list: [9], keep: { x: null } });
  assert.deepEqual(row.count, { now: 'object' });
  await db.transact(db.tx.todos[todo].merge({ meta: null }));
  assert.equal((await one('todos', todo))[0].meta, null);
});

test('§6.5 several merges of one attribute in one transaction apply in order; merge upserts', async () => {
  const todo = id();
  await db.transact([db.tx.todos[todo].merge({ meta: { a: 1 } }), db.tx.todos[todo].merge({ meta: { b: 2 } })]);
  assert.deepEqual((await one('todos', todo))[0].meta, { a: 1, b: 2 });
});

test('§6.5 link, unlink and delete (inbound links go too)', async () => {
  const goal = id();
  const [a, b] = [id(), id()];
  await db.transact([
    db.tx.goals[goal].update({ title: 'Linked' }),
    db.tx.todos[a].update({ text: 'a' }),
    db.tx.todos[b].update({ text: 'b' }),
    db.tx.goals[goal].link({ todos: [a, b] }),
  ]);
  assert.deepEqual(ids((await one('goals', goal, { todos: {} }))[0].todos), byId([a, b]));
  await db.transact(db.tx.goals[goal].link({ todos: a })); // re-linking is a no-op
  await db.transact(db.tx.goals[goal].unlink({ todos: a }));
  assert.deepEqual(ids((await one('goals', goal, { todos: {} }))[0].todos), [b]);
  await db.transact(db.tx.goals[goal].unlink({ todos: a })); // absent pairs are ignored
  await db.transact(db.tx.todos[b].delete());
  assert.deepEqual((await one('goals', goal, { todos: {} }))[0].todos, []);
  await db.transact(db.tx.todos[a].link({ goal }));
  await db.transact(db.tx.goals[goal].delete());
  assert.deepEqual(await one('goals', goal), []);
  assert.deepEqual((await one('todos', a, { goal: {} }))[0].goal, []);
  await db.transact(db.tx.goals[goal].delete()); // deleting a missing entity succeeds
});

test('§6.5 a forward has-one link replaces the previous target; §5.9 it renders as an id', async () => {
  const [u1, u2, goal] = [id(), id(), id()];
  await db.transact([
    db.tx.$users[u1].update({ email: 'one@example.com' }),
    db.tx.$users[u2].update({ email: 'two@example.com' }),
    db.tx.goals[goal].update({ title: 'Owned' }),
    db.tx.goals[goal].link({ owner: u1 }),
  ]);
  await db.transact(db.tx.goals[goal].link({ owner: u2 }));
  assert.deepEqual(await one('goals', goal), [{ id: goal, title: 'Owned', priority: null, slug: null, owner: u2 }]);
  const [withOwner] = await one('goals', goal, { owner: {} });
  assert.deepEqual(ids(withOwner.owner), [u2]);
  const { $users } = await db.query({ $users: { $: { where: { id: u1 } }, goals: {} } });
  assert.deepEqual($users[0].goals, []);
});

test('§6.5 a reverse has-one link taken by another source is 400 record-not-unique', async () => {
  const [g1, g2, todo] = [id(), id(), id()];
  await db.transact([
    db.tx.goals[g1].update({ title: 'g1' }),
    db.tx.goals[g2].update({ title: 'g2' }),
    db.tx.todos[todo].update({ text: 'only one goal' }),
    db.tx.goals[g1].link({ todos: todo }),
  ]);
  await rejectsWithApiError(db.transact(db.tx.goals[g2].link({ todos: todo })), { status: 400, type: 'record-not-unique' });
  assert.deepEqual(ids((await one('todos', todo, { goal: {} }))[0].goal), [g1]);
});

test('§6.6 ops run grouped by kind in first-appearance order', async () => {
  const [x, y, z] = [id(), id(), id()];
  await db.transact(db.tx.todos[x].update({ text: 'x' }));
  await db.transact([db.tx.todos[x].update({ text: 'x2' }), db.tx.todos[x].delete()]);
  assert.deepEqual(await one('todos', x), [], '[update X, delete X] deletes X');

  await db.transact(db.tx.todos[y].update({ text: 'old', done: true }));
  await db.transact([db.tx.todos[y].delete(), db.tx.todos[y].update({ text: 'new' })]);
  assert.deepEqual(await one('todos', y), [{ id: y, text: 'new', done: null }], '[delete X, update X] recreates X');

  await db.transact([db.tx.todos[z].delete(), db.tx.todos[z].update({ text: 'z' }), db.tx.todos[z].delete()]);
  assert.deepEqual(await one('todos', z), [{ id: z, text: 'z', done: null }], '[delete, update, delete]: both deletes first');
});

test('§6.6 [link, unlink] leaves no link; [unlink, link] leaves one', async () => {
  const [goal, a, b] = [id(), id(), id()];
  await db.transact([db.tx.goals[goal].update({ title: 'L' }), db.tx.todos[a].update({ text: 'a' }), db.tx.todos[b].update({ text: 'b' })]);
  await db.transact([db.tx.goals[goal].link({ todos: a }), db.tx.goals[goal].unlink({ todos: a })]);
  await db.transact([db.tx.goals[goal].unlink({ todos: b }), db.tx.goals[goal].link({ todos: b })]);
  assert.deepEqual(ids((await one('goals', goal, { todos: {} }))[0].todos), [b]);
});

test('§6.2 lookup() as entity id creates the entity, then finds it', async () => {
  await db.transact(db.tx.goals[lookup('slug', 'fit')].update({ title: 'Fit' }));
  await db.transact(db.tx.goals[lookup('slug', 'fit')].update({ priority: 5 }));
  const { goals } = await db.query({ goals: { $: { where: { slug: 'fit' } } } });
  assert.equal(goals.length, 1);
  assert.deepEqual(goals[0], { id: goals[0].id, title: 'Fit', priority: 5, slug: 'fit' });
  // Also through the builder's own lookup form.
  await db.transact(db.tx.goals.lookup('slug', 'fit').update({ priority: 6 }));
  assert.equal((await one('goals', goals[0].id))[0].priority, 6);
});

test('§6.3 lookup() as a link target; a link-target lookup must exist', async () => {
  const goal = id();
  await db.transact(db.tx.goals[goal].update({ title: 'Target', slug: 'target' }));
  const todo = id();
  await db.transact([db.tx.todos[todo].update({ text: 'by slug' }), db.tx.todos[todo].link({ goal: lookup('slug', 'target') })]);
  assert.deepEqual(ids((await one('todos', todo, { goal: {} }))[0].goal), [goal]);
  await rejectsWithApiError(db.transact(db.tx.todos[id()].link({ goal: lookup('slug', 'no-such-goal') })), {
    status: 400,
    type: 'validation-failed',
    message: /The entity for the lookup does not exist\./,
  });
});

test('§6.2 delete through a lookup; an unresolved lookup delete is a no-op', async () => {
  await db.transact(db.tx.goals[lookup('slug', 'doomed')].update({ title: 'Doomed' }));
  assert.equal((await db.query({ goals: { $: { where: { slug: 'doomed' } } } })).goals.length, 1);
  await db.transact(db.tx.goals[lookup('slug', 'doomed')].delete());
  assert.deepEqual((await db.query({ goals: { $: { where: { slug: 'doomed' } } } })).goals, []);
  await db.transact(db.tx.goals[lookup('slug', 'never-was')].delete());
});

test('§6.2 a lookup on a non-unique attribute is a 400', async () => {
  let error;
  await assert.rejects(db.transact(db.tx.goals[lookup('title', 'Fit')].update({ priority: 1 })), (err) => {
    error = err;
    return true;
  });
  assert.equal(error.name, 'InstantAPIError');
  assert.equal(error.status, 400);
  assert.match(error.body.message, /title is not a unique attribute on goals/);
});

test('§6.7 UUID-looking strings are stored lower-case; an `id` key in attrs is dropped', async () => {
  const lower = id();
  const other = id();
  await db.transact(db.tx.notes[lower.toUpperCase()].update({ body: 'caps', ref: lower.toUpperCase(), id: other }));
  assert.deepEqual(await one('notes', lower), [{ id: lower, body: 'caps', ref: lower }]);
  assert.deepEqual(await one('notes', other), []);
});

test('§6.7 typed attributes reject other types; §6.8 a failing step applies nothing', async () => {
  const todo = id();
  await rejectsWithApiError(
    db.transact([db.tx.todos[todo].update({ text: 'never' }), db.tx.goals[id()].update({ title: 'ok', priority: 'high' })]),
    {
      status: 400,
      type: 'validation-failed',
      message: /Invalid value type for goals\.priority\. Value must be a number but the provided value type is string\./,
    },
  );
  assert.deepEqual(await one('todos', todo), []);
});

test('§6.7 required attributes must be present after the transaction', async () => {
  const goal = id();
  await rejectsWithApiError(db.transact(db.tx.goals[goal].update({ priority: 3 })), {
    status: 400,
    type: 'validation-failed',
    message: new RegExp(`Missing required attribute \`goals/title\`: ${goal}`),
  });
  assert.deepEqual(await one('goals', goal), []);
});

test('§6.7 unique attribute collisions are 400 record-not-unique', async () => {
  await db.transact(db.tx.goals[id()].update({ title: 'u1', slug: 'same' }));
  await rejectsWithApiError(db.transact(db.tx.goals[id()].update({ title: 'u2', slug: 'same' })), {
    status: 400,
    type: 'record-not-unique',
  });
});

test('§6.4 linking through an unknown label creates a has-many link to the namespace named after it', async () => {
  const [post, author] = [id(), id()];
  await db.transact([
    db.tx.authors[author].update({ name: 'Ada' }),
    db.tx.posts[post].update({ title: 'Notes' }),
    db.tx.posts[post].link({ authors: author }),
  ]);
  const { posts } = await db.query({ posts: { $: { where: { id: post } }, authors: {} } });
  assert.deepEqual(posts[0].authors, [{ id: author, name: 'Ada' }]);
  const { authors } = await db.query({ authors: { $: { where: { id: author } }, posts: {} } });
  assert.deepEqual(ids(authors[0].posts), [post]);
});
