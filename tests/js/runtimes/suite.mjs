// The runtime suite: the same checks in Node, Deno, Bun, workerd and Chromium, each importing
// the package by its name. Loaded as-is in browsers and bundled into a Worker, so it imports
// nothing: the host-side helpers (fresh apps, a hanging server, reporting) are in host.mjs.
//
// `run(pkg, app, options)`: `pkg` is the imported `instant-edge`, `app` a fresh emulator app
// `{ apiURI, appId, adminToken }`; options:
//   hangURI  a server that accepts connections and never answers (timeout and abort checks)
//   env      true when the host has an environment naming this app (INSTANT_APP_ID, ...)
//   checks   extra `{ name: async (pkg, app, helpers) => {} }` from one runtime's runner
//   platform `{ pkg, token }`: the imported `instant-edge/platform` and a personal access token
//            of a fresh emulator user
// Returns `{ passed, failed, results: [{ name, ok, error? }] }`.

export async function run(pkg, app, { hangURI, env = false, checks = {}, platform } = {}) {
  const { init, tx, id, lookup, i, InstantAPIError } = pkg;
  const { apiURI, appId, adminToken } = app;
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
  const typed = (error, kind) => {
    assert(error instanceof InstantAPIError && error instanceof Error, `not an InstantAPIError: ${error?.stack ?? error}`);
    eq(error.name, 'InstantAPIError', 'name');
    eq(error.kind, kind, `kind (${error.message})`);
    assert(typeof error.message === 'string' && error.message.length > 0, 'message');
    assert(typeof error.stack === 'string', 'stack');
    assert(typeof error.status === 'number', 'status is a number');
    return error;
  };
  const rejects = async (promise, kind) => {
    try {
      await promise;
    } catch (error) {
      return typed(error, kind);
    }
    throw new Error(`expected a ${kind} error`);
  };
  const throws = (f, kind) => {
    try {
      f();
    } catch (error) {
      return typed(error, kind);
    }
    throw new Error(`expected a ${kind} error`);
  };
  // Replaces the global fetch for one call: the wasm calls the host's `fetch` at call time.
  const withFetch = async (fake, body) => {
    const real = globalThis.fetch;
    globalThis.fetch = fake;
    try {
      return await body();
    } finally {
      globalThis.fetch = real;
    }
  };
  const helpers = { check, assert, eq, rejects, throws, withFetch };

  const db = init({ appId, adminToken, apiURI });
  const goal = id();
  const todos = [id(), id(), id()];

  await check('tx builds the op arrays of @instantdb/admin', () => {
    const t = id();
    const a = tx.goals[goal].update({ title: 'x' }).link({ todos: t });
    eq(a.__ops, [['update', 'goals', goal, { title: 'x' }], ['link', 'goals', goal, { todos: t }]], 'update + link');
    eq(a.__etype, 'goals', '__etype');
    eq(a.__ops[0].length, 4, 'no opts slot when none were given');
    eq(tx.goals[goal].update({}, { upsert: false }).__ops, [['update', 'goals', goal, {}, { upsert: false }]], 'update opts');
    eq(tx.goals[goal].merge({ m: { a: 1 } }, { upsert: true }).__ops[0][4], { upsert: true }, 'merge opts');
    eq(tx.goals[lookup('slug', 'a__b')].unlink({ todos: t }).__ops[0][2], ['slug', 'a__b'], 'lookup string as id');
    eq(tx.goals.lookup('rank', 3).delete().__ops, [['delete', 'goals', ['rank', 3], null]], 'etype.lookup, delete');
    eq(tx.goals.lookup('rank', 3).delete().__ops[0].length, 4, 'delete has an args slot');
    eq(tx.goals[goal].create({ a: 1 }).ruleParams({ k: 'v' }).__ops.map((op) => op[0]), ['create', 'ruleParams'], 'create, ruleParams');
    eq(lookup('email', 'a@b.c'), 'lookup__email__"a@b.c"', 'lookup()');
    eq(db.tx.goals[goal].__etype, 'goals', 'db.tx');
    const chunk = tx.goals[goal];
    assert(chunk.then === undefined && chunk.explode === undefined && chunk.toString === undefined, 'no other keys (not a thenable)');
    assert('__ops' in chunk && '__etype' in tx.goals, '__ops and __etype are properties');
    assert(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id()) && id() !== id(), 'id() is a UUID v4');
  });

  await check('i.schema serialises as @instantdb/admin 1.0.67 does', () => {
    const schema = i.schema({
      entities: { goals: i.entity({ title: i.string().unique().indexed(), n: i.number().optional() }), $users: i.entity({}) },
      links: { goalsOwner: { forward: { on: 'goals', has: 'one', label: 'owner', onDelete: 'cascade' }, reverse: { on: '$users', has: 'many', label: 'goals' } } },
      rooms: { chat: { presence: i.entity({ at: i.date() }) } },
    });
    const attr = (valueType, required, indexed, unique) =>
      `{"valueType":"${valueType}","required":${required},"isIndexed":${indexed},"config":{"indexed":${indexed},"unique":${unique}},"metadata":{}}`;
    eq(
      JSON.stringify(schema),
      `{"entities":{"goals":{"attrs":{"title":${attr('string', true, true, true)},"n":${attr('number', false, false, false)}},` +
        `"links":{"owner":{"entityName":"$users","cardinality":"one"}}},"$users":{"attrs":{},"links":{"goals":{"entityName":"goals","cardinality":"many"}}}},` +
        `"links":{"goalsOwner":{"forward":{"on":"goals","has":"one","label":"owner","onDelete":"cascade"},"reverse":{"on":"$users","has":"many","label":"goals"}}},` +
        `"rooms":{"chat":{"presence":{"attrs":{"at":${attr('date', true, false, false)}},"links":{}}}}}`,
      'schema JSON',
    );
    eq([i.json().valueType, i.any().valueType, i.boolean().clientRequired().required], ['json', 'json', false], 'json, any, clientRequired');
  });

  await check('transact: update, link, chained ops via tx', async () => {
    const answer = await db.transact([
      ...todos.map((t, i) => db.tx.todos[t].update({ text: `todo ${i}`, rank: i })),
      db.tx.goals[goal].update({ title: 'Get fit', slug: `fit-${goal}` }).link({ todos: todos[0] }),
      db.tx.goals[goal].link({ todos: [todos[1], todos[2]] }),
    ]);
    assert(Number.isInteger(answer['tx-id']) && answer['tx-id'] > 0, `tx-id ${JSON.stringify(answer)}`);
    const single = await db.transact(db.tx.todos[todos[0]].update({ done: false }), { timeout: 10_000 });
    assert(single['tx-id'] > answer['tx-id'], 'a single chunk, with options');
  });

  await check('query: nested, where, order, limit', async () => {
    const result = await db.query({ goals: { $: { where: { id: goal } }, todos: {} } });
    eq(result.goals.length, 1, 'goals');
    eq(result.goals[0].title, 'Get fit', 'title');
    eq(result.goals[0].todos.map((t) => t.id).sort(), [...todos].sort(), 'nested todos');
    const byTitle = await db.query({ goals: { $: { where: { title: 'Get fit', id: goal } } } });
    eq(byTitle.goals.map((g) => g.id), [goal], 'where on an attribute');
    const ordered = (extra) => db.query({ todos: { $: { where: { id: { $in: todos } }, order: { serverCreatedAt: 'desc' }, ...extra } } });
    const all = (await ordered({})).todos.map((t) => t.id);
    const page = (await ordered({ limit: 2, offset: 1 })).todos.map((t) => t.id);
    eq(all.length, 3, 'all todos');
    eq(page, all.slice(1, 3), 'the second page of an ordered query');
    eq((await ordered({ limit: 1 })).todos.length, 1, 'limit');
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
    const result = await db.query({ todos: { $: { where: { id: extra } }, goals: {} } });
    eq(result.todos[0].meta, { a: 1, b: 2 }, 'merged');
    eq(result.todos[0].goals.map((g) => g.id), [goal], 'linked by lookup');
    eq((await db.query({ todos: { $: { where: { id: todos[2] } } } })).todos, [], 'deleted');
    await db.transact(db.tx.goals[lookup('slug', `fit-${goal}`)].update({ title: 'Get fitter' }));
    eq((await db.query({ goals: { $: { where: { id: goal } } } })).goals[0].title, 'Get fitter', 'update through a lookup');
  });

  await check('update with { upsert: false } on a missing entity is a 400', async () => {
    const error = await rejects(db.transact(db.tx.goals[id()].update({ title: 'x' }, { upsert: false })), 'api');
    eq(error.status, 400, 'status');
    eq(error.body.type, 'validation-failed', 'type');
  });

  await check('asUser: guest, email and token', async () => {
    const email = `user-${id()}@example.com`;
    const response = await fetch(`${apiURI}/admin/refresh_tokens?app_id=${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ email }),
    });
    eq(response.status, 200, 'refresh_tokens status');
    const created = await response.json();
    const guestDb = db.asUser({ guest: true });
    eq(Object.keys(guestDb).sort(), Object.keys(db).sort(), 'asUser returns a db of the same shape');
    const guest = await guestDb.query({ goals: { $: { where: { id: goal } } }, $users: {} });
    eq(guest.goals.length, 1, 'guest sees goals');
    eq(guest.$users, [], 'guest sees no users');
    const byEmail = await db.asUser({ email }).query({ $users: {} });
    eq(byEmail.$users.map((u) => u.email), [email], 'email user sees self');
    const tokenOnly = init({ appId, apiURI, adminToken: undefined }).asUser({ token: created.user.refresh_token });
    eq((await tokenOnly.query({ $users: {} })).$users.map((u) => u.email), [email], 'token user sees self');
    await rejects(db.asUser({ token: id() }).query({ goals: {} }), 'api');
  });

  await check('debugQuery as a guest: rules override, one check per entity, ruleParams reach the rule', async () => {
    const [shown, hidden] = [id(), id()];
    await db.transact([db.tx.goals[shown].update({ title: 'visible' }), db.tx.goals[hidden].update({ title: 'hidden' })]);
    const guest = db.asUser({ guest: true });
    const query = { goals: { $: { where: { id: { $in: [shown, hidden] } } } } };
    const code = "data.title == 'visible'";
    const { result, checkResults } = await guest.debugQuery(query, { rules: { goals: { allow: { view: code } } } });
    eq(result.goals.map((g) => [g.id, g.title]), [[shown, 'visible']], 'only the visible goal');
    const byId = Object.fromEntries(checkResults.map((c) => [c.id, c]));
    eq(checkResults.length, 2, `one check per goal: ${JSON.stringify(checkResults)}`);
    eq([byId[shown]?.check, byId[hidden]?.check], [true, false], 'each check');
    for (const [goalId, title] of [[shown, 'visible'], [hidden, 'hidden']]) {
      const c = byId[goalId];
      eq([c.entity, c.label ?? null, c.record.id, c.record.title], ['goals', null, goalId, title], 'entity, label, record');
      eq(c.program, { etype: 'goals', action: 'view', code, 'display-code': code }, 'program');
    }
    const byParam = await guest.debugQuery(query, { rules: { goals: { allow: { view: 'data.id == ruleParams.goalId' } } }, ruleParams: { goalId: hidden } });
    eq(byParam.result.goals.map((g) => g.id), [hidden], 'the goal named by ruleParams');
    const paramChecks = Object.fromEntries(byParam.checkResults.map((c) => [c.id, c.check]));
    eq([byParam.checkResults.length, paramChecks[shown], paramChecks[hidden]], [2, false, true], 'checks by ruleParams');
  });

  await check('debugTransact is a dry run with each check; admin handles and bad rules are 400s', async () => {
    const goalId = id();
    await db.transact(db.tx.goals[goalId].update({ title: 'before' }));
    const guest = db.asUser({ guest: true });
    const checked = await guest.debugTransact(db.tx.goals[goalId].update({ title: 'after' }), { rules: { goals: { allow: { update: 'false' } } } });
    assert(Number.isInteger(checked['tx-id']), `tx-id: ${JSON.stringify(checked)}`);
    eq([checked['all-checks-ok?'], checked['committed?']], [false, false], 'all-checks-ok?, committed?');
    const update = checked['check-results'].find((c) => c.action === 'update' && c.eid === goalId);
    assert(update, `an update check: ${JSON.stringify(checked['check-results'])}`);
    eq([update.scope, update.etype, update['check-result'], update['check-pass?']], ['object', 'goals', false, false], 'the update check');
    eq(update.program, { etype: 'goals', action: 'update', code: 'false', 'display-code': 'false' }, 'program');
    eq([update.bindings.data.title, update.bindings['new-data'].title, update.bindings['modified-fields']], ['before', 'after', ['title']], 'bindings');
    eq((await db.query({ goals: { $: { where: { id: goalId } } } })).goals.map((g) => g.title), ['before'], 'nothing committed');
    const asAdmin = await rejects(db.debugQuery({ goals: {} }), 'api');
    eq([asAdmin.status, asAdmin.body.type], [400, 'validation-failed'], 'debugQuery as admin');
    assert(asAdmin.message.includes('Cannot test perms as admin'), asAdmin.message);
    await rejects(db.debugTransact(db.tx.goals[goalId].update({ title: 'x' })), 'api');
    const badRules = await rejects(guest.debugQuery({ goals: {} }, { rules: { goals: { allow: { view: 'nope(' } } } }), 'api');
    eq([badRules.status, badRules.body.type, badRules.body.hint?.['data-type']], [400, 'validation-failed', 'rule'], 'an invalid rules document');
    eq(badRules.hint?.['data-type'], 'rule', 'error.hint');
  });

  await check('server errors are InstantAPIError with status, body and traceId', async () => {
    const error = await rejects(db.query({ goals: { $: { limit: 'ten' } } }), 'api');
    eq(error.status, 400, 'status');
    eq(error.body.type, 'validation-failed', 'type');
    assert(typeof error.traceId === 'string' && error.traceId.length > 0, 'traceId');
    const made = new InstantAPIError({ status: 400, body: { type: 'x', message: 'no', hint: { a: 1 }, 'trace-id': 't' } });
    eq([made.name, made.message, made.status, made.hint, made.traceId], ['InstantAPIError', 'no', 400, { a: 1 }, 't'], 'new InstantAPIError({status, body})');
    assert(made instanceof Error, 'constructed instanceof Error');
  });

  await check('auth: token, verify, read as the user, cookie, sign out, magic code, guest', async () => {
    const email = `auth-${id()}@example.com`;
    const token = await db.auth.createToken(email);
    const user = await db.auth.verifyToken(token);
    eq(user.email, email, 'verified');
    eq((await db.asUser({ token }).query({ $users: {} })).$users.map((u) => u.email), [email], 'read as the user');
    // A request-like object: browsers drop `cookie` from a constructed Request (a forbidden header).
    const cookie = (value) => ({ headers: new Headers({ cookie: `theme=dark; instant_user_${appId}=${value}` }) });
    const good = encodeURIComponent(JSON.stringify({ id: user.id, refresh_token: token }));
    eq((await db.auth.getUserFromRequest(cookie(good)))?.email, email, 'the cookie user, verified');
    eq((await db.auth.getUserFromRequest(cookie(good), { disableValidation: true }))?.id, user.id, 'unverified');
    eq(await db.auth.getUserFromRequest(cookie('%7Bbroken')), null, 'a malformed cookie is null');
    eq(await db.auth.getUserFromRequest(new Request('http://app.example/')), null, 'no cookie is null');
    await db.auth.signOut({ refresh_token: token });
    const gone = await rejects(db.auth.verifyToken(token), 'api');
    eq(gone.status, 400, 'a signed-out token is rejected');
    const { code } = await db.auth.generateMagicCode(email);
    const { user: signedIn, created } = await db.auth.checkMagicCode(email, code);
    eq([signedIn.email, created, typeof signedIn.refresh_token], [email, false, 'string'], 'magic code');
    await rejects(db.auth.verifyMagicCode(email, code), 'api');
    const { code: mailed } = await db.auth.sendMagicCode(email);
    eq((await db.auth.verifyMagicCode(email, mailed))?.email, email, 'sendMagicCode, then verifyMagicCode');
    await rejects(db.auth.sendMagicCode('not an email'), 'invalid-argument');
    const guest = await db.auth.signInGuest();
    eq(guest.isGuest, true, 'guest');
    eq((await db.auth.getUser({ id: guest.id }))?.id, guest.id, 'getUser');
    eq((await db.auth.deleteUser({ id: guest.id }))?.id, guest.id, 'deleteUser');
    eq(await db.auth.getUser({ id: guest.id }), null, 'a deleted user is null');
    await rejects(db.auth.getUser({ email, id: user.id }), 'invalid-argument');
    await rejects(db.auth.verifyToken('not-a-token'), 'invalid-argument');
  });

  await check('auth.listUsers: pages in email order, guests first, stable across inserts', async () => {
    const tag = id().slice(0, 8);
    const emails = [3, 1, 4, 2, 5].map((n) => `list-${tag}-${n}@example.com`);
    for (const email of emails) await db.auth.createToken(email);
    await db.auth.signInGuest();
    const seen = [];
    let after;
    let inserted = false;
    do {
      const { users, pageInfo } = await db.auth.listUsers({ limit: 2, after });
      assert(users.length <= 2, 'page size');
      seen.push(...users);
      after = pageInfo.hasNextPage ? pageInfo.endCursor : undefined;
      if (!inserted && seen.some((u) => u.email === emails[1])) {
        // Users added mid-listing: before the cursor (not seen) and after it (seen).
        await db.auth.createToken(`list-${tag}-0@example.com`);
        await db.auth.createToken(`list-${tag}-6@example.com`);
        inserted = true;
      }
    } while (after);
    const mine = seen.map((u) => u.email).filter((e) => e?.startsWith(`list-${tag}-`));
    eq(mine, [...emails, `list-${tag}-6@example.com`].sort(), 'every user once, in email order');
    const guests = seen.findIndex((u) => u.email === undefined || u.email === null);
    assert(guests !== -1 && guests < seen.findIndex((u) => u.email), 'guests (no email) come first');
    eq(new Set(seen.map((u) => u.id)).size, seen.length, 'no user twice');
    const { users: all, pageInfo } = await db.auth.listUsers();
    eq([all.length === seen.length + 1, pageInfo.hasNextPage], [true, false], 'default page holds all');
    await rejects(db.auth.listUsers({ limit: 0 }), 'invalid-argument');
    await rejects(db.auth.listUsers({ limit: 1001 }), 'invalid-argument');
    await rejects(db.auth.listUsers({ after: 'x' }), 'invalid-argument');
    eq((await db.asUser({ guest: true }).auth.listUsers()).users, [], 'a guest sees no users');
  });

  await check('storage: every source type uploads with progress and round-trips through its URL', async () => {
    const tag = id().slice(0, 8);
    const size = 300_000;
    const bytes = new Uint8Array(size).map((_, i) => i % 251);
    const sources = {
      uint8array: [() => bytes, size],
      arraybuffer: [() => bytes.slice().buffer, size],
      blob: [() => new Blob([bytes], { type: 'ignored/by-us' }), size],
      'stream with fileSize': [() => new Blob([bytes]).stream(), size],
      'stream of unknown size': [() => new Blob([bytes]).stream(), null],
    };
    for (const [name, [make, total]] of Object.entries(sources)) {
      const path = `${tag}/${name}.bin`;
      const events = [];
      const metadata = { contentType: 'application/x-test', onProgress: (p) => events.push(p) };
      if (name === 'stream with fileSize') metadata.fileSize = size;
      const { data } = await db.storage.uploadFile(path, make(), metadata);
      assert(typeof data.id === 'string', `${name}: an id`);
      assert(events.length > 0, `${name}: progress fired`);
      assert(events.every((e, i) => i === 0 || e.loaded >= events[i - 1].loaded), `${name}: monotone`);
      eq(events.at(-1), { loaded: size, total }, `${name}: the last event`);
      const url = await db.storage.getDownloadUrl(path);
      const response = await fetch(url);
      eq(response.headers.get('content-type'), 'application/x-test', `${name}: content type`);
      const back = new Uint8Array(await response.arrayBuffer());
      assert(back.length === size && back.every((b, i) => b === bytes[i]), `${name}: the same bytes back`);
    }
    await db.storage.uploadFile(`${tag}/hello.txt`, 'hello', { contentDisposition: 'attachment' });
    const text = await fetch(await db.storage.getDownloadUrl(`${tag}/hello.txt`));
    eq([await text.text(), text.headers.get('content-disposition')], ['hello', 'attachment'], 'text upload');
    const listed = (await db.storage.list()).filter((f) => f.path.startsWith(`${tag}/`));
    eq(listed.length, 6, 'list');
    assert(listed.every((f) => f.name === f.path && typeof f.url === 'string' && f.key?.startsWith(`${appId}/`)), 'list shape');
    eq((await db.storage.delete(`${tag}/hello.txt`)).data.id, listed.find((f) => f.path.endsWith('hello.txt')).id, 'delete');
    eq((await db.storage.delete(`${tag}/hello.txt`)).data.id, null, 'a second delete is a miss');
    eq(await db.storage.getDownloadUrl(`${tag}/hello.txt`), null, 'no url once deleted');
    const { data: { ids } } = await db.storage.deleteMany(listed.map((f) => f.path));
    eq(ids.length, 5, 'deleteMany deletes what is left');
    eq((await db.storage.list()).filter((f) => f.path.startsWith(`${tag}/`)), [], 'all gone');
  });

  // The emulator's test-only controls (fault injection, presence seeding).
  const control = async (path, body, method = 'POST') => {
    const response = await fetch(`${apiURI}/__emulator${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${method} /__emulator${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const waitFor = async (ready, what, ms = 8000) => {
    const started = Date.now();
    while (!ready()) {
      if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  await check('live: updates arrive; a drop resumes with the latest snapshot; 503s recover; 401 ends it', async () => {
    const tag = id();
    const seen = [];
    const sub = db.subscribeQuery({ liveItems: { $: { where: { tag } } } }, (payload) => seen.push(payload));
    const results = () => seen.filter((p) => p.type === 'ok').map((p) => p.data.liveItems.map((i) => i.n).sort().join(','));
    const add = (n) => db.transact(db.tx.liveItems[id()].update({ tag, n }));
    try {
      await waitFor(() => results().length === 1, 'the first result');
      const first = seen.find((p) => p.type === 'ok');
      assert(typeof first.sessionInfo?.sessionId === 'string' && typeof first.pageInfo === 'object', 'official payload shape');
      await add(1);
      await waitFor(() => results().at(-1) === '1', 'update 1');
      await add(2);
      await waitFor(() => results().at(-1) === '1,2', 'update 2');
      await control('/sse/drop', {});
      await add(3);
      await waitFor(() => results().at(-1) === '1,2,3', 'the update made across the drop');
      await control('/faults', { 'path-prefix': '/admin/subscribe-query', status: 503, count: 2 });
      await control('/sse/drop', {});
      await add(4);
      await waitFor(() => results().at(-1) === '1,2,3,4', 'recovery after two 503s');
      eq(results(), ['', '1', '1,2', '1,2,3', '1,2,3,4'], 'every state once: nothing duplicated or lost');
      eq(sub.isClosed, false, 'still open');
      await control('/faults', { 'path-prefix': '/admin/subscribe-query', status: 401, count: 1 });
      await control('/sse/drop', {});
      await waitFor(() => seen.at(-1)?.type === 'error', 'the error payload');
      typed(seen.at(-1).error, 'api');
      eq([seen.at(-1).error.status, sub.isClosed], [401, true], 'a 401 ends the subscription');
    } finally {
      sub.close();
      await control('/faults', undefined, 'DELETE');
    }
  });

  await check('live: the iterator yields the newest result, ends on close; bad queries throw', async () => {
    const tag = id();
    const sub = db.subscribeQuery({ liveItems: { $: { where: { tag } } } });
    const watcher = [];
    const watch = db.subscribeQuery({ liveItems: { $: { where: { tag } } } }, (p) => watcher.push(p));
    try {
      const iterator = sub[Symbol.asyncIterator]();
      eq((await iterator.next()).value.data, { liveItems: [] }, 'the first result');
      for (let n = 1; n <= 5; n += 1) await db.transact(db.tx.liveItems[id()].update({ tag, n }));
      await waitFor(() => watcher.at(-1)?.data?.liveItems?.length === 5, 'all five updates delivered');
      await new Promise((resolve) => setTimeout(resolve, 50));
      eq((await iterator.next()).value.data.liveItems.length, 5, 'a slow reader skips to the newest');
      sub.close();
      eq([(await iterator.next()).done, sub.isClosed], [true, true], 'closed');
    } finally {
      sub.close();
      watch.close();
    }
    throws(() => db.subscribeQuery('goals'), 'invalid-argument');
    throws(() => db.subscribeQuery([]), 'invalid-argument');
    const guest = db.asUser({ guest: true }).subscribeQuery({ $users: {} });
    try {
      eq((await guest[Symbol.asyncIterator]().next()).value.data, { $users: [] }, 'a guest sees no users');
    } finally {
      guest.close();
    }
  });

  await check('useDateObjects: i.date() attributes come back as Date, nested links too', async () => {
    const schema = i.schema({
      entities: { goals: i.entity({ due: i.date().optional() }), todos: i.entity({ at: i.date().optional() }) },
      links: { goalTodos: { forward: { on: 'goals', has: 'many', label: 'todos' }, reverse: { on: 'todos', has: 'one', label: 'goal' } } },
    });
    const [g, t] = [id(), id()];
    await db.transact([tx.goals[g].update({ due: '2025-01-02T03:04:05Z' }), tx.todos[t].update({ at: 1735700000000 }), tx.goals[g].link({ todos: t })]);
    const dated = init({ appId, adminToken, apiURI, schema, useDateObjects: true });
    const { goals } = await dated.query({ goals: { $: { where: { id: g } }, todos: {} } });
    assert(goals[0].due instanceof Date, `due is ${goals[0].due}`);
    eq(goals[0].due.toISOString(), '2025-01-02T03:04:05.000Z', 'due');
    const todo = Array.isArray(goals[0].todos) ? goals[0].todos[0] : goals[0].todos;
    assert(todo.at instanceof Date && todo.at.getTime() === 1735700000000, `nested at is ${todo.at}`);
    const plain = init({ appId, adminToken, apiURI, schema });
    eq((await plain.query({ goals: { $: { where: { id: g } } } })).goals[0].due, '2025-01-02T03:04:05Z', 'without the option: as stored');
    const sub = dated.subscribeQuery({ goals: { $: { where: { id: g } } } });
    const first = await sub[Symbol.asyncIterator]().next();
    sub.close();
    assert(first.value.data.goals[0].due instanceof Date, 'live payloads are converted too');
  });

  await check('fetchOpts: headers reach the emulator on query and live; the client\'s own cannot be replaced', async () => {
    const requests = async (path) => {
      const response = await fetch(`${apiURI}/__emulator/requests?app-id=${appId}&path-prefix=${path}`);
      return (await response.json()).requests;
    };
    const key = `k-${id()}`;
    await db.query({ goals: {} }, { fetchOpts: { headers: { 'X-Proxy-Key': key } } });
    eq((await requests('/admin/query')).at(-1).headers['x-proxy-key'], key, 'query header');
    const sub = db.subscribeQuery({ goals: {} }, undefined, { fetchOpts: { headers: [['x-proxy-key', key]] } });
    await sub[Symbol.asyncIterator]().next();
    sub.close();
    eq((await requests('/admin/subscribe-query')).at(-1).headers['x-proxy-key'], key, 'live header');
    const before = (await requests('/admin/')).length;
    await rejects(db.query({ goals: {} }, { fetchOpts: { headers: { Authorization: 'Bearer someone-else' } } }), 'invalid-argument');
    eq((await requests('/admin/')).length, before, 'nothing sent');
  });

  await check('rooms.getPresence: seeded sessions with users, {} for an empty room, encoded ids', async () => {
    const email = `presence-${id()}@example.com`;
    await db.auth.createToken(email);
    const { id: userId } = await db.auth.getUser({ email });
    const room = `room&${id().slice(0, 8)} #1`;
    await control(`/apps/${appId}/presence`, { 'room-type': 'chat', 'room-id': room, peers: [{ 'user-id': userId, data: { color: 'red' } }, { data: { color: 'blue' } }] });
    const sessions = Object.values(await db.rooms.getPresence('chat', room));
    eq(sessions.map((s) => s.data.color).sort(), ['blue', 'red'], 'both peers');
    eq(sessions.find((s) => s.data.color === 'red').user?.email, email, 'the user record');
    eq(await db.rooms.getPresence('chat', 'nobody-here'), {}, 'an empty room');
    await rejects(db.rooms.getPresence('chat', ''), 'invalid-argument');
  });

  await check('storage: bad input, failing streams and impersonation', async () => {
    for (const path of ['', '  ', '../up', 'a/../b']) {
      await rejects(db.storage.uploadFile(path, 'x'), 'invalid-argument');
    }
    await rejects(db.storage.uploadFile('x.bin', 42), 'invalid-argument');
    await rejects(db.storage.uploadFile('x.bin', { not: 'a body' }), 'invalid-argument');
    const broken = () => {
      let pulls = 0;
      return new ReadableStream({
        pull(controller) {
          if ((pulls += 1) <= 3) controller.enqueue(new Uint8Array(1000));
          else controller.error(new Error('the source broke'));
        },
      });
    };
    for (const metadata of [{}, { fileSize: 5000 }, { onProgress: () => {} }]) {
      const path = `broken-${id()}.bin`;
      const error = await rejects(db.storage.uploadFile(path, broken(), metadata), 'network');
      assert(error.message.includes('the source broke') && !error.message.includes('error: network error'), `the source's own error, once: ${error.message}`);
      eq(await db.storage.getDownloadUrl(path), null, `nothing kept from a failed upload (${Object.keys(metadata)})`);
    }
    const denied = await rejects(db.asUser({ guest: true }).storage.uploadFile(`guest-${id()}.txt`, 'hi'), 'api');
    eq([denied.status, denied.body.type], [400, 'permission-denied'], 'the $files default rule applies to asUser');
    eq(await db.asUser({ guest: true }).storage.list(), [], 'a guest sees no files');
  });

  await check('a rejected admin token is not echoed back in the error', async () => {
    const wrong = id();
    const error = await rejects(init({ appId, adminToken: wrong, apiURI, retries: 0 }).query({ goals: {} }), 'api');
    eq(error.body.type, 'record-not-found', 'type');
    const seen = JSON.stringify({ message: error.message, body: error.body, hint: error.hint });
    assert(seen.includes('***') && !seen.includes(wrong), `the token leaked: ${seen}`);
  });

  await check('bad input is invalid-argument, before any request', async () => {
    let requests = 0;
    await withFetch(async () => {
      requests += 1;
      throw new TypeError('no request expected');
    }, async () => {
      throws(() => init({ appId: 'not-a-uuid', adminToken, apiURI }), 'invalid-argument');
      throws(() => init({ appId, adminToken, apiURI: 'ftp://example.com' }), 'invalid-argument');
      throws(() => db.asUser({ nobody: true }), 'invalid-argument');
      await rejects(db.transact(db.tx.goals['goal-1'].update({})), 'invalid-argument');
      await rejects(db.transact({ __ops: [['explode', 'goals', goal, {}]] }), 'invalid-argument');
      await rejects(db.transact(db.tx.goals[goal].link({ todos: 'todo-1' })), 'invalid-argument');
      await rejects(db.query([]), 'invalid-argument');
      throws(() => lookup('n', 10n), 'invalid-argument');
      eq(lookup(5, 1), 'lookup__5__1', 'a non-string attribute is coerced as in @instantdb/admin');
    });
    eq(requests, 0, 'requests sent');
  });

  await check('an aborted signal and a dead server', async () => {
    const controller = new AbortController();
    controller.abort();
    eq((await rejects(db.query({ goals: {} }, { signal: controller.signal }), 'aborted')).status, 0, 'status');
    await rejects(db.transact(db.tx.goals[goal].update({ n: 1 }), { signal: controller.signal }), 'aborted');
    const dead = init({ appId, adminToken, apiURI: 'http://127.0.0.1:9', retries: 0 });
    await rejects(dead.query({ goals: {} }), 'network');
  });

  if (hangURI) {
    await check('timeout and a mid-flight abort against a server that never answers', async () => {
      const hung = init({ appId, adminToken, apiURI: hangURI, retries: 0 });
      await rejects(hung.query({ goals: {} }, { timeout: 50 }), 'timeout');
      await rejects(init({ appId, adminToken, apiURI: hangURI, timeout: 50 }).transact(tx.goals[goal].update({})), 'timeout');
      const controller = new AbortController();
      const pending = hung.query({ goals: {} }, { signal: controller.signal, timeout: 0 });
      setTimeout(() => controller.abort(), 50);
      await rejects(pending, 'aborted');
    });
  }

  if (env) {
    await check('init() reads INSTANT_APP_ID, INSTANT_APP_ADMIN_TOKEN, INSTANT_API_URI', async () => {
      const result = await init().query({ goals: { $: { where: { id: goal } } } });
      eq(result.goals.map((g) => g.id), [goal], 'the app named by the environment');
      throws(() => init({ appId: 'given-not-a-uuid' }), 'invalid-argument'); // given values win
    });
  } else {
    await check('without an environment, apiURI defaults to https://api.instantdb.com', async () => {
      let url;
      const answer = await withFetch(async (input) => {
        url = String(input);
        return new Response('{"goals":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
      }, () => init({ appId, adminToken: 'token' }).query({ goals: {} }));
      eq(answer, { goals: [] }, 'answer');
      eq(url, `https://api.instantdb.com/admin/query?app_id=${appId}`, 'url');
    });
  }

  if (platform) {
    await check('instant-edge/platform: PlatformApi makes, lists and reads an app', async () => {
      const api = new platform.pkg.PlatformApi({ auth: { token: platform.token }, apiURI });
      const schema = platform.pkg.i.schema({ entities: { notes: platform.pkg.i.entity({ text: platform.pkg.i.string().indexed() }) } });
      const { app: made } = await api.createApp({ title: 'Runtime', schema });
      assert(made.createdAt instanceof Date, 'createdAt is a Date');
      eq((await api.getApps()).apps.map((a) => a.id), [made.id], 'getApps');
      const { app: read } = await api.getApp(made.id, { includeSchema: true });
      eq(read.schema.entities.notes.attrs.text.isIndexed, true, 'the schema, as `i` builds it');
      const error = await api.getApp('not-a-uuid').then(() => null, (e) => e);
      assert(error instanceof platform.pkg.InstantAPIError && error.kind === 'invalid-argument', `bad id: ${error}`);
    });
  }

  for (const [name, body] of Object.entries(checks)) await check(name, () => body(pkg, app, helpers));

  const failed = results.filter((r) => !r.ok);
  return { passed: results.length - failed.length, failed: failed.length, results };
}
