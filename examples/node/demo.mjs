// Loads a small data set into an Instant Admin API (the emulator by default) over plain HTTP
// and prints a few query results. Until our own client exists this speaks the wire directly.
//
//   INSTANT_API_URI=... INSTANT_APP_ID=... INSTANT_APP_ADMIN_TOKEN=... node examples/node/demo.mjs

import { randomUUID } from 'node:crypto';

const apiURI = process.env.INSTANT_API_URI;
const appId = process.env.INSTANT_APP_ID;
const adminToken = process.env.INSTANT_APP_ADMIN_TOKEN;
if (!apiURI || !appId || !adminToken) {
  console.error('Set INSTANT_API_URI, INSTANT_APP_ID and INSTANT_APP_ADMIN_TOKEN (cargo xtask demo does).');
  process.exit(2);
}

async function admin(path, body) {
  const response = await fetch(`${apiURI.replace(/\/+$/, '')}/admin/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'app-id': appId,
      authorization: `Bearer ${adminToken}`,
    },
    body: JSON.stringify(body),
  });
  const payload = await response.json();
  if (response.status !== 200) {
    throw new Error(`${path} → ${response.status} ${payload.type}: ${payload.message}`);
  }
  return payload;
}

const show = (title, value) => console.log(`\n${title}\n${JSON.stringify(value, null, 2)}`);

const fitness = randomUUID();
const launch = randomUUID();
const todos = [
  [randomUUID(), 'Run 5k', false, fitness],
  [randomUUID(), 'Stretch', true, fitness],
  [randomUUID(), 'Write the README', true, launch],
  [randomUUID(), 'Ship v0.1', false, launch],
];

const { 'tx-id': txId } = await admin('transact', {
  steps: [
    ['update', 'goals', fitness, { title: 'Get fit', priority: 2 }],
    ['update', 'goals', launch, { title: 'Launch instant-edge', priority: 1 }],
    ...todos.map(([id, text, done]) => ['update', 'todos', id, { text, done }]),
    ...todos.map(([id, , , goal]) => ['link', 'todos', id, { goal }]),
  ],
});
console.log(`Loaded 2 goals and ${todos.length} todos in transaction ${txId} (${apiURI}).`);

show('Goals with their todos:', await admin('query', { query: { goals: { todos: {} } } }));
show(
  'Goals by priority, with only the open todos:',
  await admin('query', {
    query: { goals: { $: { order: { priority: 'asc' } }, todos: { $: { where: { done: false } } } } },
  }),
);
show(
  'Todos whose goal title starts with "Launch" (a dotted-path where), with inference:',
  await admin('query', {
    query: { todos: { $: { where: { 'goal.title': { $like: 'Launch%' } } }, goal: {} } },
    'inference?': true,
  }),
);
