// instant-edge/platform (issue #17) side by side with the official @instantdb/platform 1.0.67
// against the emulator: the same calls give the same results (ids and dates aside where each
// client made its own app), the same errors, and the same requests on the wire. "platform §x" is
// shared/spec/instant-platform-api.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/platform';
import * as edge from '../../pkg/platform/node.js';
import { init } from '@instantdb/admin';
import { apiURI, control } from './helpers.mjs';

/** A fresh Instant user, and both clients acting as them with a personal access token. */
async function user() {
  const email = `edge-${crypto.randomUUID()}@example.com`;
  const { 'personal-access-token': token } = await control('/platform/users', { email });
  return { email, token, official: new official.PlatformApi({ auth: { token }, apiURI }), edge: new edge.PlatformApi({ auth: { token }, apiURI }) };
}

/** Own enumerable properties only (undefined ones kept), so that objects of the two clients'
 * classes compare by what they hold; with `anonymous`, dates and UUIDs (each client made its
 * own app) become placeholders. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function plain(value, anonymous = false) {
  if (value instanceof Date) return anonymous ? (Number.isNaN(value.getTime()) ? '<invalid date>' : '<date>') : value;
  if (typeof value === 'string' && anonymous && UUID.test(value)) return '<uuid>';
  if (Array.isArray(value)) return value.map((v) => plain(v, anonymous));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, anonymous)]));
  return value;
}
const same = (ours, theirs, message) => assert.deepStrictEqual(plain(ours), plain(theirs), message);
const alike = (ours, theirs, message) => assert.deepStrictEqual(plain(ours, true), plain(theirs, true), message);

/** What a rejected call threw. */
const failure = (promise) => promise.then(() => assert.fail('expected a rejection'), (error) => error);

const schema = official.i.schema({
  entities: {
    goals: official.i.entity({ title: official.i.string().indexed(), done: official.i.boolean().optional(), due: official.i.date().optional() }),
    todos: official.i.entity({ text: official.i.string(), meta: official.i.json().optional() }),
  },
  links: {
    goalTodos: { forward: { on: 'goals', has: 'many', label: 'todos' }, reverse: { on: 'todos', has: 'one', label: 'goal', onDelete: 'cascade' } },
    todoOwner: { forward: { on: 'todos', has: 'one', label: 'owner', required: true }, reverse: { on: '$users', has: 'many', label: 'todos' } },
  },
});
const perms = { goals: { allow: { view: 'true', create: 'auth.id != null' } } };
const next = official.i.schema({
  entities: {
    goals: official.i.entity({ title: official.i.string().indexed().unique(), done: official.i.boolean().optional(), due: official.i.date().optional(), slug: official.i.string().optional() }),
    todos: official.i.entity({ text: official.i.string().indexed(), meta: official.i.json().optional() }),
    tags: official.i.entity({ name: official.i.string() }),
  },
  links: schema.links,
});

test('our `i` builds the same schema as the official one', () => {
  const ours = edge.i.schema({ entities: { goals: edge.i.entity({ title: edge.i.string().indexed() }) }, links: {} });
  const theirs = official.i.schema({ entities: { goals: official.i.entity({ title: official.i.string().indexed() }) }, links: {} });
  assert.equal(JSON.stringify(ours), JSON.stringify(theirs));
  assert.match(edge.id(), UUID);
});

test('createApp with a schema and perms: the same app as the official client makes', async () => {
  const { official: theirs, edge: ours } = await user();
  const a = await theirs.createApp({ title: '  Launch  ', schema, perms });
  const b = await ours.createApp({ title: '  Launch  ', schema, perms });
  alike(b, a);
  assert.ok(b.app.createdAt instanceof Date && b.app.createdAt.getTime() > 0);
  assert.match(b.app.adminToken, UUID);
  assert.equal(b.app.schema.entities.goals.attrs.title.metadata.derivedType.type, 'string');
  assert.equal(b.app.schema.links.todosOwner.forward.required, true);
  assert.equal(b.app.schema.links.goalsTodos.reverse.onDelete, 'cascade');
  // The app is usable at once with its admin token.
  const db = init({ appId: b.app.id, adminToken: b.app.adminToken, apiURI });
  assert.deepEqual(await db.query({ goals: {} }), { goals: [] });
});

test('reads of one app: getApps, getApp, getSchema, getPerms, getOrgs, getAppsForOrg equal the official results', async () => {
  const person = await user();
  const { official: theirs, edge: ours } = person;
  const { app } = await ours.createApp({ title: 'Read me', schema, perms });
  for (const opts of [undefined, {}, { includePerms: true }, { includeSchema: true }, { includePerms: true, includeSchema: true }]) {
    same(await ours.getApps(opts), await theirs.getApps(opts), `getApps(${JSON.stringify(opts)})`);
    same(await ours.getApp(app.id, opts), await theirs.getApp(app.id, opts), `getApp(${JSON.stringify(opts)})`);
  }
  same(await ours.getSchema(app.id), await theirs.getSchema(app.id));
  same(await ours.getPerms(app.id), await theirs.getPerms(app.id));
  assert.deepEqual((await ours.getPerms(app.id)).perms, perms);

  const org = await control('/platform/orgs', { title: 'Acme', members: [{ email: person.email, role: 'owner' }] });
  const { app: orgApp } = await ours.createApp({ title: 'Org app', orgId: org.id });
  assert.equal(orgApp.orgId, org.id);
  same(await ours.getOrgs(), await theirs.getOrgs());
  assert.deepEqual((await ours.getOrgs()).orgs.map((o) => o.title), ['Acme']);
  same(await ours.getAppsForOrg(org.id, { includePerms: true }), await theirs.getAppsForOrg(org.id, { includePerms: true }));
});

test('updateApp and deleteApp answer as the official client; a deleted app is not found', async () => {
  const { official: theirs, edge: ours } = await user();
  const { app: a } = await theirs.createApp({ title: 'Old' });
  const { app: b } = await ours.createApp({ title: 'Old' });
  alike(await ours.updateApp(b.id, { title: 'New' }), await theirs.updateApp(a.id, { title: 'New' }));
  alike(await ours.deleteApp(b.id), await theirs.deleteApp(a.id));
  const [mine, official] = [await failure(ours.getApp(b.id)), await failure(theirs.getApp(a.id))];
  assert.ok(mine instanceof edge.InstantAPIError);
  assert.deepEqual([mine.status, mine.kind, mine.message], [400, 'api', 'Record not found: app']);
  assert.deepEqual([mine.status, mine.body.type, mine.message], [official.status, official.body.type, official.message]);
});

test('pushPerms and getPerms', async () => {
  const { official: theirs, edge: ours } = await user();
  const { app: a } = await theirs.createApp({ title: 'Perms' });
  const { app: b } = await ours.createApp({ title: 'Perms' });
  same(await ours.getPerms(b.id), await theirs.getPerms(a.id));
  same(await ours.pushPerms(b.id, { perms }), await theirs.pushPerms(a.id, { perms }));
  same(await ours.getPerms(b.id), await theirs.getPerms(a.id));
  const bad = { goals: { allow: { view: 'auth.id ==' } } };
  const [mine, official] = [await failure(ours.pushPerms(b.id, { perms: bad })), await failure(theirs.pushPerms(a.id, { perms: bad }))];
  const { 'trace-id': _a, ...body } = mine.body;
  const { 'trace-id': _b, ...officialBody } = official.body;
  assert.deepEqual([mine.status, body, mine.message], [official.status, officialBody, official.message]);
});

test('createTemporaryApp needs no token', async () => {
  const before = Date.now();
  const a = await new official.PlatformApi({ apiURI }).createTemporaryApp({ title: 'Scratch', schema, rules: { code: perms } });
  const b = await new edge.PlatformApi({ apiURI }).createTemporaryApp({ title: 'Scratch', schema, rules: { code: perms } });
  alike({ ...b, expiresMs: 0 }, { ...a, expiresMs: 0 });
  const days = (b.expiresMs - before) / 86_400_000;
  assert.ok(days > 13.9 && days < 14.1, `expires in ${days} days`);
  const db = init({ appId: b.app.id, adminToken: b.app.adminToken, apiURI });
  assert.deepEqual(await db.query({ todos: {} }), { todos: [] });
});

test('planSchemaPush: the same plan, step for step', async () => {
  const { official: theirs, edge: ours } = await user();
  const { app } = await ours.createApp({ title: 'Plan', schema });
  const [mine, official] = [await ours.planSchemaPush(app.id, { schema: next }), await theirs.planSchemaPush(app.id, { schema: next })];
  // Each plan makes fresh ids for new attributes: compared without them.
  alike(mine, official);
  assert.deepEqual(mine.steps.map((s) => s.friendlyDescription).sort(), [
    'Add attribute goals.slug.',
    'Add attribute tags.name.',
    'Add index to todos.text.',
    'Create new entity tags.id.',
    'Ensure that goals.title is unique.',
  ]);
  assert.ok(mine.newSchema.entities.tags && mine.currentSchema.entities.goals);
});

test('schemaPush: progress, await and chained then, as the official push ends', async () => {
  const { official: theirs, edge: ours } = await user();
  const { app: a } = await theirs.createApp({ title: 'Push', schema });
  const { app: b } = await ours.createApp({ title: 'Push', schema });

  const seen = { ours: [], theirs: [] };
  const officialPush = theirs.schemaPush(a.id, { schema: next });
  officialPush.subscribe({ next: (s) => seen.theirs.push(s) });
  const push = ours.schemaPush(b.id, { schema: next });
  assert.ok(push instanceof Promise && push instanceof edge.ProgressPromise);
  const subscription = push.subscribe({ next: (s) => seen.ours.push(s) });
  assert.equal(typeof subscription.unsubscribe, 'function');
  const chained = push.then((result) => result.summary).then((summary) => summary.friendlyDescription);
  const [mine, official] = [await push, await officialPush];
  assert.equal(await chained, 'Finished 5 schema operations.');
  alike(mine, official);
  assert.equal(mine.summary.errorCount, 0);
  const unique = mine.steps.find((s) => s.type === 'unique');
  assert.equal(unique.backgroundJob.status, 'completed');
  assert.ok(unique.backgroundJob.createdAt instanceof Date);
  assert.equal(mine.newSchema.entities.goals.attrs.title.config.unique, true);

  // Progress: summaries in the official shape while the jobs ran.
  assert.ok(seen.ours.length >= 1 && seen.theirs.length >= 1, `progress: ${seen.ours.length} / ${seen.theirs.length}`);
  alike(seen.ours.at(-1), seen.theirs.at(-1));

  // A late subscriber gets the result at once; a settled push is still a promise.
  let late;
  push.subscribe({ complete: (result) => (late = result) });
  assert.equal(late, mine);
  assert.equal(await push.finally(() => {}), mine);
});

test('a constraint the data breaks: the push resolves with the errored job, as the official one', async () => {
  const { official: theirs, edge: ours } = await user();
  const notes = (text) => official.i.schema({ entities: { notes: official.i.entity({ text }) } });
  const results = [];
  for (const api of [theirs, ours]) {
    const { app } = await api.createApp({ title: 'Dupes', schema: notes(official.i.string()) });
    const db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
    await db.transact(['a', 'b'].map(() => db.tx.notes[crypto.randomUUID()].update({ text: 'same' })));
    results.push(await api.schemaPush(app.id, { schema: notes(official.i.string().unique()) }));
  }
  const [official_, mine] = results;
  alike(mine, official_);
  assert.equal(mine.summary.friendlyDescription, 'Finished 1 schema operation, with 1 error');
  const job = mine.steps[0].backgroundJob;
  assert.deepEqual([job.status, job.error, job.invalidUniqueValue, job.invalidTriplesSample.length], ['errored', 'triple-not-unique-error', 'same', 2]);
  assert.deepEqual(mine.summary.erroredSteps, [mine.steps[0]]);
});

test('errors: the server says no as it says to the official client', async () => {
  const token = `per_${'0'.repeat(64)}`;
  const [mine, official_] = [
    await failure(new edge.PlatformApi({ auth: { token }, apiURI }).getApps()),
    await failure(new official.PlatformApi({ auth: { token }, apiURI }).getApps()),
  ];
  assert.ok(mine instanceof edge.InstantAPIError && mine instanceof Error);
  assert.equal(mine.name, 'InstantAPIError');
  const { 'trace-id': _a, ...body } = mine.body;
  const { 'trace-id': _b, ...officialBody } = official_.body;
  assert.deepEqual([mine.status, mine.message, body], [400, official_.message, officialBody]);
  assert.deepEqual(body, { type: 'record-not-found', message: 'Record not found: instant-user', hint: { 'record-type': 'instant-user' } });
  assert.ok(!mine.message.includes(token) && !JSON.stringify(mine.body).includes(token), 'the token is never in an error');

  // An expired OAuth access token without refresh credentials.
  const { email } = await user();
  const { 'access-token': expired } = await control('/platform/oauth-tokens', { email, scopes: 'apps-read', 'expires-in-s': 0 });
  const error = await failure(new edge.PlatformApi({ auth: { token: expired }, apiURI }).getApps());
  assert.equal(error.body.type, 'record-expired');
});

test('bad input is refused before any request, as invalid-argument errors', async () => {
  const { edge: ours } = await user();
  const sent = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args) => (sent.push(args), realFetch(...args));
  try {
    for (const [call, what] of [
      [() => ours.getApp('../superadmin'), 'appId'],
      [() => ours.getApp(42), 'appId'],
      [() => ours.deleteApp('not-a-uuid'), 'appId'],
      [() => ours.createApp({ title: '   ' }), 'title'],
      [() => ours.createApp({ title: 'x', orgId: 'acme' }), 'orgId'],
      [() => ours.updateApp(crypto.randomUUID(), { title: '' }), 'title'],
      [() => ours.getAppsForOrg('nope'), 'orgId'],
      [() => ours.planSchemaPush(crypto.randomUUID(), { schema: { nope: 1 } }), 'schema'],
      [() => ours.createTemporaryApp({}), 'title'],
    ]) {
      const error = await failure(call());
      assert.ok(error instanceof edge.InstantAPIError, String(error));
      assert.equal(error.kind, 'invalid-argument');
      assert.equal(error.status, 0);
      assert.match(error.message, new RegExp(`^invalid ${what}:`));
    }
    const overwrite = await failure(ours.planSchemaPush(crypto.randomUUID(), { schema: next, overwrite: true, renames: ['a.b'] }));
    assert.equal(overwrite.kind, 'invalid-argument');
    assert.match(overwrite.message, /^invalid renames: Invalid rename command/);
    const renames = await failure(ours.planSchemaPush(crypto.randomUUID(), { schema: next, renames: ['a.b:a.c'] }));
    assert.match(renames.message, /you _must_ pass in `overwrite: true`/);
    // A failed push watched only through `subscribe` is not an unhandled rejection.
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const observed = [];
    ours.schemaPush(crypto.randomUUID(), { schema: next, overwrite: true, renames: 'a.b:a.c' }).subscribe({ error: (e) => observed.push(e) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onUnhandled);
    assert.equal(observed.length, 1);
    assert.deepEqual(unhandled, []);
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(sent, [], 'nothing was sent');

  // Without credentials: the official error class, thrown by schemaPush, rejected by the rest.
  const anonymous = new edge.PlatformApi({ apiURI });
  const missing = await failure(anonymous.getApps());
  assert.ok(missing instanceof edge.PlatformApiMissingAuthError && missing instanceof edge.InstantAPIError);
  assert.equal(missing.message, 'PlatformApi was not provided auth.');
  assert.throws(() => anonymous.schemaPush(crypto.randomUUID(), { schema: next }), edge.PlatformApiMissingAuthError);
  assert.throws(() => anonymous.canRefreshToken(), edge.PlatformApiMissingAuthError);
  assert.throws(() => new edge.PlatformApi({ auth: { token: 'a\nb' }, apiURI }), (e) => e.kind === 'invalid-argument' && !e.message.includes('a\nb'));
  assert.throws(() => new edge.PlatformApi({ auth: {}, apiURI }), (e) => e.kind === 'invalid-argument');
});

// The version headers name each client; every other header, the method, URL and body are compared.
const VERSION_HEADERS = ['instant-platform-version', 'instant-core-version', 'x-instant-version'];
async function record(call) {
  const realFetch = globalThis.fetch;
  const sent = [];
  globalThis.fetch = async (url, init = {}) => {
    const headers = Object.entries(init.headers ?? {})
      .filter(([name]) => !VERSION_HEADERS.includes(name.toLowerCase()))
      .sort(([a], [b]) => a.localeCompare(b));
    sent.push({ method: init.method ?? 'GET', url: String(url), headers, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    return realFetch(url, init);
  };
  try {
    await call().catch(() => {});
  } finally {
    globalThis.fetch = realFetch;
  }
  return sent;
}

test('wire: each call sends what the official client sends', async () => {
  const { official: theirs, edge: ours, token } = await user();
  const { app } = await ours.createApp({ title: 'Wire', schema, perms });
  // Calls that change things aim at an app that does not exist, so both clients send the same.
  const nowhere = '0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10';
  const calls = {
    'getApps()': (api) => api.getApps(),
    'getApps(both)': (api) => api.getApps({ includePerms: true, includeSchema: true }),
    'getApps(schema)': (api) => api.getApps({ includeSchema: true }),
    'getApp()': (api) => api.getApp(app.id),
    'getOrgs()': (api) => api.getOrgs(),
    'getAppsForOrg()': (api) => api.getAppsForOrg(nowhere, { includePerms: true }),
    'getSchema()': (api) => api.getSchema(app.id),
    'getPerms()': (api) => api.getPerms(app.id),
    'createApp()': (api) => api.createApp({ title: 'Wire 2', schema, perms, orgId: nowhere }),
    'updateApp()': (api) => api.updateApp(nowhere, { title: 'Renamed' }),
    'deleteApp()': (api) => api.deleteApp(nowhere),
    'pushPerms()': (api) => api.pushPerms(nowhere, { perms }),
    'planSchemaPush()': (api) => api.planSchemaPush(app.id, { schema: next }),
    'tokenInfo()': (api) => api.tokenInfo(),
  };
  for (const [name, call] of Object.entries(calls)) {
    const [mine, official_] = [await record(() => call(ours)), await record(() => call(theirs))];
    assert.equal(mine.length, 1, name);
    assert.deepStrictEqual(mine, official_, name);
  }
  // getApp with both includes: the same three requests (the official client sends them at once).
  const byUrl = (a, b) => a.url.localeCompare(b.url);
  const [mine, official_] = [
    await record(() => ours.getApp(app.id, { includePerms: true, includeSchema: true })),
    await record(() => theirs.getApp(app.id, { includePerms: true, includeSchema: true })),
  ];
  assert.deepStrictEqual(mine.sort(byUrl), official_.sort(byUrl));
  // createTemporaryApp sends no credentials.
  const temporary = (api) => api.createTemporaryApp({ title: 'Wire temp', schema, rules: { code: perms } });
  const [tmpMine, tmpOfficial] = [await record(() => temporary(new edge.PlatformApi({ apiURI }))), await record(() => temporary(new official.PlatformApi({ apiURI })))];
  assert.deepStrictEqual(tmpMine, tmpOfficial);
  assert.ok(!tmpMine[0].headers.some(([name]) => name.toLowerCase() === 'authorization'));
  // The token is only in the Authorization header, never in a URL (except tokenInfo's, where
  // the server reads it).
  const sent = await record(() => ours.getApps());
  assert.deepEqual(sent[0].headers, [['Authorization', `Bearer ${token}`], ['X-Instant-Source', 'platform-sdk']]);
  assert.ok(!sent[0].url.includes(token));
});

test('OAuth: an expired access token is refreshed, onRefresh told, the call made again', async () => {
  const { email } = await user();
  const { 'access-token': expired } = await control('/platform/oauth-tokens', { email, scopes: 'apps-read apps-write', 'expires-in-s': 0 });
  const { 'access-token': fresh } = await control('/platform/oauth-tokens', { email, scopes: 'apps-read apps-write' });
  // This emulator has no token endpoint: the refresh answer is scripted, the rest is real.
  const realFetch = globalThis.fetch;
  const refreshes = [];
  globalThis.fetch = async (url, init) => {
    if (String(url).endsWith('/platform/oauth/token')) {
      refreshes.push(JSON.parse(init.body));
      return new Response(JSON.stringify({ access_token: fresh, expires_in: 1209600, token_type: 'Bearer', scope: 'apps-read apps-write' }), { status: 200 });
    }
    return realFetch(url, init);
  };
  try {
    const told = [];
    const auth = { accessToken: expired, refreshToken: 'prt_secret', clientId: crypto.randomUUID(), clientSecret: 'shh', onRefresh: async (info) => told.push(info) };
    const api = new edge.PlatformApi({ auth, apiURI });
    assert.equal(api.canRefreshToken(), true);
    const before = Date.now();
    assert.deepEqual((await api.getApps()).apps, []);
    assert.equal(refreshes.length, 1);
    assert.deepEqual(refreshes[0], { grant_type: 'refresh_token', refresh_token: 'prt_secret', client_id: auth.clientId, client_secret: 'shh' });
    assert.equal(told.length, 1);
    assert.equal(told[0].accessToken, fresh);
    assert.ok(told[0].expiresAt instanceof Date);
    const days = (told[0].expiresAt.getTime() - before) / 86_400_000;
    assert.ok(days > 13.9 && days < 14.1, `expires in ${days} days (now-relative)`);
    assert.equal(api.token(), fresh);

    // withRetry: the caller's own function, called again with the refreshed token.
    const again = new edge.PlatformApi({ auth: { ...auth, accessToken: expired }, apiURI });
    const tokens = [];
    const result = await again.withRetry(
      async (uri, token, what) => {
        tokens.push(token);
        const response = await fetch(`${uri}/superadmin/apps`, { headers: { Authorization: `Bearer ${token}` } });
        const body = await response.json();
        if (response.status !== 200) throw new edge.InstantAPIError({ status: response.status, body });
        return [what, body.apps.length];
      },
      [apiURI, again.token(), 'apps'],
    );
    assert.deepEqual(result, ['apps', 0]);
    assert.deepEqual(tokens, [expired, fresh]);

    // A token-only client cannot refresh.
    const plainToken = new edge.PlatformApi({ auth: { token: fresh }, apiURI });
    assert.equal(plainToken.canRefreshToken(), false);
    assert.equal(await plainToken.refreshToken(), null);
  } finally {
    globalThis.fetch = realFetch;
  }
});
