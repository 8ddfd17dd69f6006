// The runtime suite: the same checks in Node, Deno, Bun, workerd and Chromium, each importing
// the package by its name. `run` gets the imported module and a fresh emulator app.

export async function run(pkg, { apiURI, appId, adminToken }) {
  const { init, id, lookup, InstantAPIError } = pkg;
  const results = [];
  const check = async (name, body) => {
    try {
      await body();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: String(error?.stack ?? error) });
    }
  };
  const assert = (cond, message) => {
    if (!cond) throw new Error(message);
  };
  const eq = (a, b, what) => assert(JSON.stringify(a) === JSON.stringify(b), `${what}: ${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
  const rejects = async (promise, kind) => {
    try {
      await promise;
    } catch (error) {
      assert(error instanceof InstantAPIError && error instanceof Error, `not an InstantAPIError: ${error}`);
      eq(error.kind, kind, 'kind');
      return error;
    }
    throw new Error(`expected a ${kind} error`);
  };

  const db = init({ appId, adminToken, apiURI });
  const goal = id();
  const todos = [id(), id(), id()];

  await check('transact: update, link, chained ops via tx', async () => {
    const answer = await db.transact([
      ...todos.map((t, i) => db.tx.todos[t].update({ text: `todo ${i}`, rank: i })),
      db.tx.goals[goal].update({ title: 'Get fit', slug: `fit-${goal}` }).link({ todos: todos[0] }),
      db.tx.goals[goal].link({ todos: [todos[1], todos[2]] }),
    ]);
    assert(Number.isInteger(answer['tx-id']) && answer['tx-id'] > 0, `tx-id ${JSON.stringify(answer)}`);
  });

  await check('query: nested, where, order, limit', async () => {
    const result = await db.query({ goals: { $: { where: { id: goal } }, todos: {} } });
    eq(result.goals.length, 1, 'goals');
    eq(result.goals[0].title, 'Get fit', 'title');
    eq(result.goals[0].todos.length, 3, 'nested todos');
    const ordered = (extra) => db.query({ todos: { $: { where: { id: { $in: todos } }, order: { serverCreatedAt: 'desc' }, ...extra } } });
    const all = (await ordered({})).todos.map((t) => t.id);
    const page = (await ordered({ limit: 2, offset: 1 })).todos.map((t) => t.id);
    eq(all.length, 3, 'all todos');
    eq(page, all.slice(1, 3), 'the second page of an ordered query');
  });

  await check('lookup as entity id and as link target; merge; delete', async () => {
    const extra = id();
    await db.transact([
      db.tx.todos[extra].update({ text: 'extra', meta: { a: 1 } }),
      db.tx.goals[lookup('id', goal)].unlink({ todos: todos[2] }),
      db.tx.goals.lookup('id', goal).link({ todos: lookup('id', extra) }),
      db.tx.todos[extra].merge({ meta: { b: 2 } }),
      db.tx.todos[todos[2]].delete(),
    ]);
    // A link label made on the fly has the source namespace as its reverse label.
    const result = await db.query({ todos: { $: { where: { id: extra } }, goals: {} } });
    eq(result.todos[0].meta, { a: 1, b: 2 }, 'merged');
    eq(result.todos[0].goals.map((g) => g.id), [goal], 'linked by lookup');
    eq((await db.query({ todos: { $: { where: { id: todos[2] } } } })).todos, [], 'deleted');
  });

  await check('update with { upsert: false } on a missing entity is a 400', async () => {
    const error = await rejects(db.transact(db.tx.goals[id()].update({ title: 'x' }, { upsert: false })), 'api');
    eq(error.status, 400, 'status');
    eq(error.body.type, 'validation-failed', 'type');
  });

  await check('asUser: guest, email and token', async () => {
    const email = `user-${id()}@example.com`;
    const created = await fetch(`${apiURI}/admin/refresh_tokens?app_id=${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ email }),
    }).then((r) => r.json());
    const guest = await db.asUser({ guest: true }).query({ goals: { $: { where: { id: goal } } }, $users: {} });
    eq(guest.goals.length, 1, 'guest sees goals');
    eq(guest.$users, [], 'guest sees no users');
    const byEmail = await db.asUser({ email }).query({ $users: {} });
    eq(byEmail.$users.map((u) => u.email), [email], 'email user sees self');
    const tokenOnly = init({ appId, apiURI }).asUser({ token: created.user.refresh_token });
    eq((await tokenOnly.query({ $users: {} })).$users.map((u) => u.email), [email], 'token user sees self');
  });

  await check('server errors are InstantAPIError with status, body and traceId', async () => {
    const error = await rejects(db.query({ goals: { $: { limit: 'ten' } } }), 'api');
    eq(error.status, 400, 'status');
    eq(error.body.type, 'validation-failed', 'type');
    assert(typeof error.traceId === 'string' && error.traceId.length > 0, 'traceId');
  });

  await check('a rejected admin token is not echoed back in the error', async () => {
    const wrong = id();
    const error = await rejects(init({ appId, adminToken: wrong, apiURI, retries: 0 }).query({ goals: {} }), 'api');
    eq(error.body.type, 'record-not-found', 'type');
    const seen = JSON.stringify({ message: error.message, body: error.body, hint: error.hint });
    assert(seen.includes('***') && !seen.includes(wrong), `the token leaked: ${seen}`);
  });

  await check('bad input is invalid-argument: app id, entity id, unknown op, link to a non-id', async () => {
    let thrown;
    try {
      init({ appId: 'not-a-uuid', adminToken, apiURI });
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof InstantAPIError && thrown.kind === 'invalid-argument', `init: ${thrown}`);
    await rejects(db.transact(db.tx.goals['goal-1'].update({})), 'invalid-argument');
    await rejects(db.transact({ __ops: [['explode', 'goals', goal, {}]] }), 'invalid-argument');
    await rejects(db.transact(db.tx.goals[goal].link({ todos: 'todo-1' })), 'invalid-argument');
    await rejects(db.query([]), 'invalid-argument');
  });

  await check('an aborted signal and a dead server', async () => {
    const controller = new AbortController();
    controller.abort();
    await rejects(db.query({ goals: {} }, { signal: controller.signal }), 'aborted');
    const dead = init({ appId, adminToken, apiURI: 'http://127.0.0.1:9', retries: 0 });
    await rejects(dead.query({ goals: {} }), 'network');
  });

  const failed = results.filter((r) => !r.ok);
  return { passed: results.length - failed.length, failed: failed.length, results };
}

/** A fresh app on the emulator (test-only control route). */
export async function freshApp(apiURI) {
  const res = await fetch(`${apiURI}/__emulator/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const app = await res.json();
  return { apiURI, appId: app['app-id'], adminToken: app['admin-token'] };
}

/** Prints the outcome and the summary line the runners end with. */
export function report(runtime, outcome) {
  for (const r of outcome.results) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${runtime}: ${r.name}${r.ok ? '' : `\n     ${r.error}`}`);
  }
  console.log(`${runtime}: ${outcome.passed} passed, ${outcome.failed} failed`);
  return outcome.failed === 0 && outcome.passed > 0;
}
