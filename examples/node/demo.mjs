// Loads a small data set into an Instant Admin API (the emulator, under `cargo xtask demo`) and
// prints a few query results, through instant-edge in Node (`cargo xtask demo node`).
//
//   INSTANT_API_URI=... INSTANT_APP_ID=... INSTANT_APP_ADMIN_TOKEN=... node examples/node/demo.mjs
//
// The app should have examples/demo-schema.json (goals.title/priority and todos.done are
// indexed and typed, which `order` and comparison operators need).

import { init, id as randomUUID } from '../../pkg/node.js';

const apiURI = process.env.INSTANT_API_URI?.replace(/\/+$/, '');
const appId = process.env.INSTANT_APP_ID;
const adminToken = process.env.INSTANT_APP_ADMIN_TOKEN;
if (!apiURI || !appId || !adminToken) {
  console.error('Set INSTANT_API_URI, INSTANT_APP_ID and INSTANT_APP_ADMIN_TOKEN (cargo xtask demo does).');
  process.exit(2);
}

// instant-edge, imported the way an app imports @instantdb/admin (here by path: the package
// is built into pkg/dist by `cargo xtask pkg`). `schema: true` asks for `inference?` as the
// official client does when it has a schema.
const db = init({ appId, adminToken, apiURI });
const inferring = init({ appId, adminToken, apiURI, schema: true });

/** Prints a query and its answer, one entity per line. */
async function show(title, query, inference = false) {
  const result = await (inference ? inferring : db).query(query);
  console.log(`\n${title}\n  query:  ${JSON.stringify(query)}${inference ? '  (inference? true)' : ''}`);
  for (const [namespace, entities] of Object.entries(result)) {
    console.log(`  ${namespace}:`);
    for (const entity of entities) {
      console.log(`    ${JSON.stringify(entity)}`);
    }
  }
}

const fitness = randomUUID();
const launch = randomUUID();
const reading = randomUUID();
const todos = [
  [randomUUID(), 'Run 5k', false, fitness],
  [randomUUID(), 'Stretch', true, fitness],
  [randomUUID(), 'Write the README', true, launch],
  [randomUUID(), 'Ship v0.1', false, launch],
];

const { 'tx-id': txId } = await db.transact([
  db.tx.goals[fitness].update({ title: 'Get fit', priority: 2 }),
  db.tx.goals[launch].update({ title: 'Launch instant-edge', priority: 1 }),
  db.tx.goals[reading].update({ title: 'Read more books', priority: 3 }),
  ...todos.map(([id, text, done]) => db.tx.todos[id].update({ text, done })),
  ...todos.map(([id, , , goal]) => db.tx.todos[id].link({ goal })),
]);
console.log(`Loaded 3 goals and ${todos.length} todos in transaction ${txId} at ${apiURI} (app ${appId}).`);

await show('Goals with their todos (a nested query; same-transaction entities come in id order):', {
  goals: { todos: {} },
});
await show('Each todo with its goal (the reverse link; with inference a has-one link is an object):', {
  todos: { goal: { $: { fields: ['title'] } } },
}, true);
await show('Goals by priority, highest first, only those above 1, with their open todos:', {
  goals: {
    $: { where: { priority: { $gt: 1 } }, order: { priority: 'desc' } },
    todos: { $: { where: { done: false } } },
  },
});
await show('Todos whose goal title starts with "Launch" (a $like on a dotted path):', {
  todos: { $: { where: { 'goal.title': { $like: 'Launch%' } }, fields: ['text', 'done'] } },
});
await show('Goals with no todos yet, or whose title ends in "fit" (or, $isNull on a dotted path):', {
  goals: { $: { where: { or: [{ 'todos.id': { $isNull: true } }, { title: { $like: '%fit' } }] }, fields: ['title'] } },
});
