// The Platform API side of the emulator (issue #17), driven by the official @instantdb/platform
// 1.0.67: apps, orgs, perms, temporary apps and the token errors of spec platform §1, as a tool
// pointed at a self-hosted server would meet them. "platform §x" is
// shared/spec/instant-platform-api.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlatformApi, i } from '@instantdb/platform';
import { init } from '@instantdb/admin';
import { apiURI, control } from './helpers.mjs';

/** A fresh Instant user and a PlatformApi acting as them with a personal access token. */
async function user() {
  const email = `dev-${crypto.randomUUID()}@example.com`;
  const { 'personal-access-token': token, id } = await control('/platform/users', { email });
  return { email, id, token, api: new PlatformApi({ auth: { token }, apiURI }) };
}

const schema = i.schema({
  entities: {
    goals: i.entity({ title: i.string().indexed(), done: i.boolean().optional() }),
    todos: i.entity({ text: i.string() }),
  },
  links: { goalTodos: { forward: { on: 'goals', has: 'many', label: 'todos' }, reverse: { on: 'todos', has: 'one', label: 'goal' } } },
});
const perms = { goals: { allow: { view: 'true', create: 'auth.id != null' } } };

/** What a rejected call threw. */
const failure = (promise) => promise.then(() => assert.fail('expected a rejection'), (error) => error);

test('createApp with a schema and perms: usable at once by the admin client with its token', async () => {
  const { api } = await user();
  const { app } = await api.createApp({ title: '  Launch  ', schema, perms });
  assert.equal(app.title, 'Launch');
  assert.ok(app.createdAt instanceof Date && !Number.isNaN(app.createdAt.getTime()));
  assert.equal(app.orgId, null);
  assert.match(app.adminToken, /^[0-9a-f-]{36}$/);
  assert.deepEqual(app.perms, perms);
  assert.deepEqual(Object.keys(app.schema.entities).filter((n) => !n.startsWith('$')).sort(), ['goals', 'todos']);
  assert.equal(app.schema.entities.goals.attrs.title.valueType, 'string');
  assert.equal(app.schema.entities.goals.attrs.title.isIndexed, true);

  const db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
  await db.transact(db.tx.goals[crypto.randomUUID()].update({ title: 'Ship' }));
  const { goals } = await db.query({ goals: {} });
  assert.deepEqual(goals.map((g) => g.title), ['Ship']);
});

test('getApps lists only your personal apps, with perms and schema when asked', async () => {
  const alice = await user();
  const bob = await user();
  const { app: mine } = await alice.api.createApp({ title: 'Mine', perms });
  await bob.api.createApp({ title: 'Not mine' });
  const { apps } = await alice.api.getApps({ includePerms: true, includeSchema: true });
  assert.deepEqual(apps.map((a) => a.title), ['Mine']);
  assert.deepEqual(apps[0].perms, perms);
  assert.ok(apps[0].schema.entities.$users, 'the system catalog is part of the schema');

  const { app } = await alice.api.getApp(mine.id, { includePerms: true, includeSchema: true });
  assert.equal(app.id, mine.id);
  assert.deepEqual(app.perms, perms);
  assert.equal(app.adminToken, undefined, 'only creation answers the admin token');
});

test('updateApp renames, deleteApp deletes: every route then answers record-not-found (400)', async () => {
  const { api } = await user();
  const { app } = await api.createApp({ title: 'Old' });
  assert.equal((await api.updateApp(app.id, { title: 'New' })).app.title, 'New');
  assert.equal((await api.deleteApp(app.id)).app.id, app.id);
  const error = await failure(api.getApp(app.id));
  assert.equal(error.status, 400);
  assert.equal(error.body.type, 'record-not-found');
  assert.equal(error.message, 'Record not found: app');
});

test('pushPerms validates with the rules engine and round-trips', async () => {
  const { api } = await user();
  const { app } = await api.createApp({ title: 'Perms' });
  assert.deepEqual(await api.getPerms(app.id), { perms: null });
  const pushed = await api.pushPerms(app.id, { perms });
  assert.deepEqual(pushed.perms, perms);
  assert.deepEqual((await api.getPerms(app.id)).perms, perms);
  const error = await failure(api.pushPerms(app.id, { perms: { goals: { allow: { view: 'auth.id ==' } } } }));
  assert.equal(error.status, 400);
  assert.equal(error.body.type, 'validation-failed');
  assert.deepEqual(error.body.hint.errors[0].in, ['goals', 'allow', 'view']);
});

test('createTemporaryApp needs no token and expires in two weeks', async () => {
  const api = new PlatformApi({ apiURI });
  const before = Date.now();
  const { app, expiresMs } = await api.createTemporaryApp({ title: 'Scratch', schema, rules: { code: perms } });
  assert.match(app.adminToken, /^[0-9a-f-]{36}$/);
  const days = (expiresMs - before) / 86_400_000;
  assert.ok(days > 13.9 && days < 14.1, `expires in ${days} days`);
  const db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
  assert.deepEqual(await db.query({ todos: {} }), { todos: [] });
});

test('orgs: members list them; org apps need an org admin to create', async () => {
  const owner = await user();
  const member = await user();
  const org = await control('/platform/orgs', {
    title: 'Acme',
    members: [{ email: owner.email, role: 'owner' }, { email: member.email, role: 'collaborator' }],
  });
  const { orgs } = await member.api.getOrgs();
  assert.deepEqual(orgs.map((o) => o.title), ['Acme']);
  const { app } = await owner.api.createApp({ title: 'Org app', orgId: org.id });
  assert.equal(app.orgId, org.id);
  const { apps } = await member.api.getAppsForOrg(org.id);
  assert.deepEqual(apps.map((a) => a.id), [app.id]);
  const error = await failure(member.api.createApp({ title: 'Nope', orgId: org.id }));
  assert.equal(error.status, 400);
  assert.equal(error.body.type, 'permission-denied');
});

test('token errors are 400s with the server bodies (platform §1.2, §1.3)', async () => {
  const bad = new PlatformApi({ auth: { token: `per_${'0'.repeat(64)}` }, apiURI });
  let error = await failure(bad.getApps());
  assert.equal(error.status, 400);
  assert.deepEqual([error.body.type, error.body.hint['record-type']], ['record-not-found', 'instant-user']);

  const { api } = await user();
  const { app } = await api.createApp({ title: 'Bound' });
  const asAdmin = new PlatformApi({ auth: { token: app.adminToken }, apiURI });
  assert.equal((await asAdmin.getApp(app.id)).app.id, app.id, 'an admin token reads its own app');
  error = await failure(asAdmin.getApps());
  assert.equal(error.message, 'Record not found: instant-user', 'but cannot list apps');
  const { app: other } = await api.createApp({ title: 'Other' });
  error = await failure(asAdmin.getApp(other.id));
  assert.equal(error.body.type, 'validation-failed');
  assert.equal(error.body.hint.reason, 'admin-token-mismatch');

  const { email } = await user();
  const { 'access-token': readOnly } = await control('/platform/oauth-tokens', { email, scopes: 'apps-read' });
  const reader = new PlatformApi({ auth: { token: readOnly }, apiURI });
  assert.deepEqual((await reader.getApps()).apps, []);
  error = await failure(reader.createApp({ title: 'x' }));
  const { 'trace-id': _, ...body } = error.body;
  assert.deepEqual(body, { type: 'permission-denied', message: 'You are missing the apps-write scope', hint: { 'required-scope': 'apps-write' } });

  const { 'access-token': expired } = await control('/platform/oauth-tokens', { email, scopes: 'apps-read', 'expires-in-s': 0 });
  error = await failure(new PlatformApi({ auth: { token: expired }, apiURI }).getApps());
  assert.equal(error.body.type, 'record-expired');
});

test('planSchemaPush and schemaPush: the server plan, progress to the end, the schema after', async () => {
  const { api } = await user();
  const { app } = await api.createApp({ title: 'Push', schema });
  const next = i.schema({
    entities: {
      goals: i.entity({ title: i.string().indexed().unique(), done: i.boolean().optional(), slug: i.string().optional() }),
      todos: i.entity({ text: i.string() }),
      tags: i.entity({ name: i.string() }),
    },
    links: schema.links,
  });
  const plan = await api.planSchemaPush(app.id, { schema: next });
  assert.deepEqual(plan.steps.map((s) => s.friendlyDescription).sort(), [
    'Add attribute goals.slug.',
    'Add attribute tags.name.',
    'Create new entity tags.id.',
    'Ensure that goals.title is unique.',
  ]);

  const seen = [];
  const push = api.schemaPush(app.id, { schema: next });
  push.subscribe({ next: (summary) => seen.push(summary.friendlyDescription) });
  const result = await push;
  assert.equal(result.summary.friendlyDescription, 'Finished 4 schema operations.');
  assert.equal(result.summary.errorCount, 0);
  const unique = result.steps.find((s) => s.type === 'unique');
  assert.equal(unique.backgroundJob.status, 'completed');
  assert.ok(seen.length >= 1, 'progress was reported while the job ran');
  assert.equal(result.newSchema.entities.goals.attrs.title.config.unique, true);
  assert.ok(result.newSchema.entities.tags);
  assert.equal((await api.getSchema(app.id)).schema.entities.goals.attrs.title.config.unique, true);
});

test('a constraint the data breaks: the job errors with a sample, the push still resolves', async () => {
  const { api } = await user();
  const { app } = await api.createApp({ title: 'Dupes', schema });
  const db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
  await db.transact(['a', 'b'].map(() => db.tx.todos[crypto.randomUUID()].update({ text: 'same' })));
  const next = i.schema({ entities: { ...schema.entities, todos: i.entity({ text: i.string().unique() }) }, links: schema.links });
  const result = await api.schemaPush(app.id, { schema: next });
  assert.equal(result.summary.friendlyDescription, 'Finished 1 schema operation, with 1 error');
  const job = result.steps[0].backgroundJob;
  assert.deepEqual([job.status, job.error, job.invalidUniqueValue], ['errored', 'triple-not-unique-error', 'same']);
  assert.equal(job.invalidTriplesSample.length, 2);
  assert.equal(result.newSchema.entities.todos.attrs.text.config.unique, false, 'the old constraint stays');
});

test('an overwrite push with a rename: client-built steps applied by /dash/…/schema/steps/apply', async () => {
  const { api } = await user();
  const { app } = await api.createApp({ title: 'Rename', schema });
  const db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
  const goal = crypto.randomUUID();
  await db.transact(db.tx.goals[goal].update({ title: 'Keep me' }));
  const next = i.schema({
    entities: { goals: i.entity({ name: i.string().indexed(), done: i.boolean().optional() }), todos: i.entity({ text: i.string() }) },
    links: schema.links,
  });
  const result = await api.schemaPush(app.id, { schema: next, overwrite: true, renames: ['goals.title:goals.name'] });
  assert.deepEqual(result.steps.map((s) => s.friendlyDescription), ['Update attribute goals.name.']);
  const after = init({ appId: app.id, adminToken: app.adminToken, apiURI });
  const { goals } = await after.query({ goals: {} });
  assert.deepEqual(goals.map((g) => g.name), ['Keep me'], 'the data moved with the rename');
});
