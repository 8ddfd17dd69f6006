// The official client given its schema (`init({ schema })`): it then sends `inference?: true`
// with queries and `throw-on-missing-attrs?: true` with transactions (!!config.schema, see
// node_modules/@instantdb/admin/src/index.ts), which change the server's answers (§3.1, §3.2, §5.9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { id } from '@instantdb/admin';
import { freshDb, goalsSchema, byId, ids, rejectsWithApiError } from './helpers.mjs';

const { db } = await freshDb(goalsSchema, { schema: goalsSchema });
const [fit, lonely, alyssa] = [id(), id(), id()];
const [run, lift, stray] = [id(), id(), id()];
await db.transact([
  db.tx.$users[alyssa].update({ email: 'alyssa@example.com' }),
  db.tx.goals[fit].update({ title: 'Get fit' }),
  db.tx.goals[lonely].update({ title: 'Alone' }),
  db.tx.todos[run].update({ text: 'Run' }),
  db.tx.todos[lift].update({ text: 'Lift' }),
  db.tx.todos[stray].update({ text: 'Stray' }),
  db.tx.goals[fit].link({ todos: [run, lift], owner: alyssa }),
]);

test('§5.9 with inference a reverse has-one link is an object, or null when unlinked', async () => {
  const { todos } = await db.query({ todos: { goal: {} } });
  const byTodo = Object.fromEntries(todos.map((todo) => [todo.id, todo.goal]));
  assert.deepEqual(byTodo[run], { id: fit, title: 'Get fit', priority: null, slug: null, owner: alyssa });
  assert.deepEqual(byTodo[lift], byTodo[run]);
  assert.equal(byTodo[stray], null);
});

test('§5.9 with inference a forward has-one link is an object; has-many stays an array; top level stays an array', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: fit } }, owner: {}, todos: {} } });
  assert.ok(Array.isArray(goals));
  assert.deepEqual(goals[0].owner, { id: alyssa, email: 'alyssa@example.com' });
  assert.deepEqual(ids(goals[0].todos), byId([run, lift]));
  const alone = await db.query({ goals: { $: { where: { id: lonely } }, owner: {}, todos: {} } });
  assert.equal(alone.goals[0].owner, null);
  assert.deepEqual(alone.goals[0].todos, []);
  const { $users } = await db.query({ $users: { $: { where: { id: alyssa } }, goals: {} } });
  assert.deepEqual(ids($users[0].goals), [fit], 'the reverse side of a one-to-many stays an array');
});

test('§3.2 throw-on-missing-attrs?: an attribute missing from the schema is a 400, nothing is applied', async () => {
  const goal = id();
  const error = await rejectsWithApiError(db.transact(db.tx.goals[goal].update({ title: 'x', color: 'red' })), {
    status: 400,
    type: 'validation-failed',
    message: /^Validation failed for steps: Attributes are missing in your schema/,
  });
  assert.deepEqual(
    error.hint.errors.flatMap((e) => e.hint?.attributes ?? []),
    ['goals.color'],
  );
  assert.deepEqual((await db.query({ goals: { $: { where: { id: goal } } } })).goals, []);
});

test('§3.2 throw-on-missing-attrs?: writing only schema attributes works', async () => {
  const goal = id();
  await db.transact(db.tx.goals[goal].update({ title: 'In schema', priority: 1 }));
  assert.deepEqual((await db.query({ goals: { $: { where: { id: goal } } } })).goals, [
    { id: goal, title: 'In schema', priority: 1, slug: null },
  ]);
});
