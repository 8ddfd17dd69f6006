// A Cloudflare Worker using instant-edge exactly as it would use @instantdb/admin and
// @instantdb/platform: only the imports change. The API's URL and a platform token arrive as
// bindings (wrangler vars/secrets). It makes a fresh app, pushes its schema and perms as a deploy
// script would, then uses it. It answers a short transcript of what it did: 200 when every step
// gave what it should, 500 otherwise (`cargo xtask demo` fails then). It is also the app's
// webhook receiver: `POST /hook?app=<app id>` checks the delivery's signature and fetches its
// records (the transcript registers a webhook pointing at this Worker's own URL).
import { init, id, InstantAPIError } from 'instant-edge';
import { PlatformApi } from 'instant-edge/platform';
import schema from '../demo-schema.json';
import perms from '../demo-rules.json';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/hook') return receiveWebhook(request, env, url.searchParams.get('app'));
    const lines = [];
    const say = (text = '') => lines.push(text);
    let unexpected = 0;
    const expect = (ok, what) => {
      if (!ok) {
        unexpected += 1;
        say(`  UNEXPECTED: ${what}`);
      }
    };
    try {
      await demo(env, say, expect, url);
    } catch (error) {
      unexpected += 1;
      say(`UNEXPECTED ${error?.name ?? 'error'} (kind ${error?.kind}): ${error?.message ?? error}`);
    }
    return new Response(`${lines.join('\n')}\n`, {
      status: unexpected ? 500 : 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};

/**
 * A webhook receiver: the `Instant-Signature` header must verify (Ed25519, with the key from
 * the API's `/.well-known/webhooks/jwks.json`, kept for the isolate's life) before the records
 * are fetched with the delivery's token. No admin token needed. Anything else is a 400, so the
 * sender retries. It answers what it verified (the sender keeps the first 256 bytes of the answer
 * on the event's attempt, where the transcript reads them back).
 */
async function receiveWebhook(request, env, appId) {
  const db = init({ appId, apiURI: env.INSTANT_API_URI });
  try {
    const body = await db.webhooks.validateRequest(request); // { payloadUrl, token }
    const { data } = await db.webhooks.fetchPayloads(body); // { data: [records], idempotencyKey }
    const records = data.map(({ namespace, action, id: entity, after }) => `${namespace} ${action} ${entity.slice(0, 8)}… "${after?.title}"`);
    return new Response(`verified: ${records.join('; ')}`);
  } catch (error) {
    return new Response(`refused: ${error.message}`, { status: 400 });
  }
}

/** A fresh app with the demo's schema and perms, set up through the Platform API. */
async function freshApp(env, say, expect) {
  const platform = new PlatformApi({ auth: { token: env.INSTANT_PLATFORM_TOKEN }, apiURI: env.INSTANT_API_URI });
  const { app } = await platform.createApp({ title: 'instant-edge demo' });
  say(`platform: created app "${app.title}" (${app.id.slice(0, 8)}…) with its own admin token`);
  const push = platform.schemaPush(app.id, { schema });
  push.subscribe({ next: (summary) => say(`  schema push: ${summary.friendlyDescription}`) });
  const { summary, newSchema } = await push;
  const namespaces = Object.keys(newSchema.entities).filter((name) => !name.startsWith('$'));
  say(`  schema push: ${summary.friendlyDescription} (${namespaces.join(', ')})`);
  expect(summary.errorCount === 0 && namespaces.includes('goals') && namespaces.includes('todos'), 'the schema should be pushed');
  await platform.pushPerms(app.id, { perms });
  const stored = (await platform.getPerms(app.id)).perms;
  say(`  perms pushed: ${Object.keys(stored).join(', ')} rules`);
  expect(JSON.stringify(Object.keys(stored).sort()) === JSON.stringify(Object.keys(perms).sort()), 'the perms should be stored');
  return app;
}

async function demo(env, say, expect, self) {
  const app = await freshApp(env, say, expect);
  const db = init({ appId: app.id, adminToken: app.adminToken, apiURI: env.INSTANT_API_URI });

  // Goals and todos, created and linked in one transaction.
  const goals = [
    { title: 'Launch instant-edge', priority: 1, todos: ['Ship v0.1', 'Write the README'] },
    { title: 'Get fit', priority: 2, todos: ['Run 5k', 'Stretch'] },
    { title: 'Read more books', priority: 3, todos: [] },
  ].map((goal) => ({ ...goal, id: id(), todoIds: goal.todos.map(() => id()) }));
  const steps = goals.flatMap((goal) => [
    db.tx.goals[goal.id].update({ title: goal.title, priority: goal.priority }),
    ...goal.todos.map((text, i) => db.tx.todos[goal.todoIds[i]].update({ text, done: i === 1 })),
    ...(goal.todoIds.length ? [db.tx.goals[goal.id].link({ todos: goal.todoIds })] : []),
  ]);
  const { 'tx-id': txId } = await db.transact(steps);
  say(`transact: ${goals.length} goals and ${goals.reduce((n, g) => n + g.todos.length, 0)} todos, linked (tx-id ${txId})`);

  // A nested query with where, order and pagination (only this request's goals, so the
  // transcript is the same against an API that already holds data).
  const page = (offset) =>
    db.query({
      goals: {
        $: { where: { id: { $in: goals.map((g) => g.id) }, priority: { $gte: 1 } }, order: { priority: 'desc' }, limit: 2, offset },
        todos: { $: { where: { done: false } } },
      },
    });
  const seen = [];
  for (const offset of [0, 2]) {
    const { goals: rows } = await page(offset);
    say(`query page (limit 2, offset ${offset}, priority desc, open todos nested):`);
    for (const goal of rows) {
      say(`  ${goal.priority}. ${goal.title} — open: ${goal.todos.map((t) => t.text).join(', ') || 'none'}`);
      seen.push(`${goal.title}: ${goal.todos.map((t) => t.text).join(', ')}`);
    }
  }
  expect(
    seen.join(' | ') === 'Read more books:  | Get fit: Run 5k | Launch instant-edge: Ship v0.1',
    `pages gave ${JSON.stringify(seen)}`,
  );

  // The same data as a guest: the default rules open app namespaces and hide $users.
  const guest = await db.asUser({ guest: true }).query({ goals: { $: { fields: ['title'] } }, $users: {} });
  say(`as a guest: ${guest.goals.length} goals visible, ${guest.$users.length} users visible`);
  expect(guest.goals.length >= goals.length && guest.$users.length === 0, 'a guest should see the goals and no user');

  // Permission rules (the perms pushed above, examples/demo-rules.json): a guest may read goals
  // but not write them, and sees no todos. debugQuery says why, rule by rule.
  const asGuest = db.asUser({ guest: true });
  try {
    await asGuest.transact(db.tx.goals[id()].update({ title: 'A guest goal', priority: 9 }));
    expect(false, 'a guest could create a goal');
  } catch (error) {
    say(`rules: a guest creating a goal → ${error.status} ${error.body?.type}: ${error.message}`);
    expect(error.body?.type === 'permission-denied', 'expected permission-denied');
  }
  const todoIds = goals.flatMap((goal) => goal.todoIds);
  const { result, checkResults } = await asGuest.debugQuery({ todos: { $: { where: { id: { $in: todoIds } } } } });
  const denied = checkResults.filter((check) => check.entity === 'todos' && !check.check);
  const rule = denied[0]?.program;
  say(`  debugQuery as that guest: ${result.todos.length} of ${todoIds.length} todos visible; ${denied.length} denied by todos.view \`${rule?.['display-code']}\``);
  say(`    which runs as \`${rule?.code}\` (the bind inlined) and gave ${denied[0]?.check}`);
  expect(result.todos.length === 0 && denied.length === todoIds.length, 'every todo should be hidden from a guest, each by its rule');

  // Bad input is a typed error, raised before anything is sent.
  try {
    await db.transact(db.tx.goals['not-a-uuid'].update({ title: 'x' }));
    expect(false, 'a non-UUID entity id was accepted');
  } catch (error) {
    say(`typed error from bad input: ${error.name} kind=${error.kind} instanceof InstantAPIError=${error instanceof InstantAPIError}`);
    say(`  ${error.message}`);
    expect(error.kind === 'invalid-argument' && error instanceof InstantAPIError, 'expected kind invalid-argument');
  }

  // And a server error carries status, type and message.
  try {
    await db.query({ goals: { $: { limit: -1 } } });
    expect(false, 'limit -1 was accepted');
  } catch (error) {
    say(`typed error from the server: kind=${error.kind} status=${error.status} type=${error.body?.type}`);
    say(`  ${error.message}`);
    expect(error.kind === 'api' && error.status === 400, 'expected kind api, status 400');
  }

  // Custom auth: mint a token for your own user, verify it, read as that user, sign out.
  const email = `alyssa+${id().slice(0, 8)}@example.com`;
  const token = await db.auth.createToken(email);
  const user = await db.auth.verifyToken(token);
  say(`custom auth: minted a refresh token for ${user.email}; verifyToken → user ${user.id.slice(0, 8)}…`);
  const asThem = await db.asUser({ token }).query({ $users: {} });
  say(`  reading as that user: sees ${asThem.$users.length} user (${asThem.$users.map((u) => u.email).join(', ')})`);
  expect(asThem.$users.length === 1 && asThem.$users[0].email === email, 'a user should see only themselves');
  await db.auth.signOut({ refresh_token: token });
  try {
    await db.auth.verifyToken(token);
    expect(false, 'a signed-out token still verified');
  } catch (error) {
    say(`  signed out; verifyToken now fails: kind=${error.kind} status=${error.status} type=${error.body?.type}`);
    expect(error.kind === 'api' && error.body?.type === 'record-not-found', 'expected record-not-found');
  }

  // Storage: stream an upload (as a Worker would pass on a request body), list it, download it
  // through its URL, delete it.
  const text = 'Hello from a Worker, streamed to Instant storage.\n'.repeat(200);
  const body = new Blob([text]).stream();
  let lastProgress;
  const path = `demo/${id().slice(0, 8)}/hello.txt`;
  const { data: file } = await db.storage.uploadFile(path, body, {
    contentType: 'text/plain; charset=utf-8',
    fileSize: text.length,
    onProgress: (progress) => (lastProgress = progress),
  });
  say(`storage: streamed ${text.length} bytes to ${path} (progress ended at ${lastProgress?.loaded}/${lastProgress?.total}); file ${file.id.slice(0, 8)}…`);
  expect(lastProgress?.loaded === text.length, 'progress should end at the size');
  const listed = (await db.storage.list()).filter((f) => f.path === path);
  say(`  list: ${listed.map((f) => `${f.path} (${f.size} bytes, ${f['content-type']})`).join(', ')}`);
  expect(listed.length === 1 && listed[0].size === text.length, 'the file should be listed with its size');
  const url = await db.storage.getDownloadUrl(path);
  const downloaded = await (await fetch(url)).text();
  say(`  downloaded through its URL: ${downloaded.length} bytes, ${downloaded === text ? 'identical' : 'DIFFERENT'}`);
  expect(downloaded === text, 'the download should equal the upload');
  const { data: deleted } = await db.storage.delete(path);
  const after = await db.storage.getDownloadUrl(path);
  say(`  deleted ${deleted.id?.slice(0, 8)}…; its URL is now ${after}`);
  expect(deleted.id === file.id && after === null, 'the file should be gone');

  // Live query: Workers have no EventSource; the package reads Server-Sent Events from fetch.
  const tag = id();
  const live = db.subscribeQuery({ goals: { $: { where: { tag } } } });
  const updates = live[Symbol.asyncIterator]();
  const first = (await updates.next()).value;
  say(`live query: subscribed (session ${first.sessionInfo.sessionId.slice(0, 8)}…), ${first.data.goals.length} goals match yet`);
  for (const title of ['Live goal one', 'Live goal two']) {
    await db.transact(db.tx.goals[id()].update({ title, tag }));
    const { value } = await updates.next();
    say(`  update after a transact: ${value.data.goals.map((g) => g.title).sort().join(', ')}`);
    expect(value.type === 'ok' && value.data.goals.some((g) => g.title === title), `the update should include ${title}`);
  }
  live.close();
  const end = await updates.next();
  say(`  closed: isClosed=${live.isClosed}, iterator done=${end.done}`);
  expect(live.isClosed && end.done, 'closing should end the iterator');

  // Webhooks: register one pointing at this Worker's own `/hook`, write a goal, and wait for the
  // event's attempt (the manager's public API, no test-only route). The Worker's receiver above
  // verified the delivery and answered the records it fetched.
  const sink = new URL(`/hook?app=${app.id}`, self).href;
  const webhook = await db.webhooks.manager.create({ url: sink, namespaces: ['goals'], actions: ['create', 'update', 'delete'] });
  say(`webhooks: registered ${webhook.id.slice(0, 8)}… → ${new URL(sink).pathname} of this Worker, for goals ${webhook.actions.join('/')}`);
  const goalId = id();
  await db.transact(db.tx.goals[goalId].update({ title: 'Ship webhooks', priority: 4 }));
  let event;
  for (let waited = 0; waited < 10000 && !['success', 'failed'].includes(event?.status); waited += 50) {
    if (waited) await new Promise((resolve) => setTimeout(resolve, 50));
    [event] = (await db.webhooks.manager.listEvents(webhook.id)).events;
  }
  const attempt = event?.attempts?.at(-1);
  say(`  wrote a goal; event ${event?.isn}: ${event?.status} after ${event?.attempts?.length} attempt(s), the Worker answered ${attempt?.statusCode}`);
  say(`  its /hook answered: ${attempt?.responseText}`);
  expect(
    event?.status === 'success' && attempt?.responseText === `verified: goals create ${goalId.slice(0, 8)}… "Ship webhooks"`,
    'the Worker should verify the delivery and see the new goal',
  );
  // A forged delivery (a signature that is not the key's) is refused before anything is fetched.
  const { keys } = await db.webhooks.fetchJwks();
  const forged = await receiveWebhook(
    new Request(sink, {
      method: 'POST',
      headers: { 'instant-signature': `t=${Math.floor(Date.now() / 1000)},kid=${keys[0].kid},v1=${'00'.repeat(64)}` },
      body: JSON.stringify({ payloadUrl: `${env.INSTANT_API_URI}/webhooks/payload/x`, token: 'forged' }),
    }),
    env,
    app.id,
  );
  say(`  a forged delivery (kid ${keys[0].kid}, a zero signature) → ${forged.status} ${await forged.text()}`);
  expect(forged.status === 400, 'a forged delivery should be refused');
  await db.webhooks.manager.delete(webhook.id);
}
