// The Admin data API (`/admin/*`) called by the official @instantdb/admin client with an Instant
// user's token in place of the app's admin token (platform §1.2 "Admin data API", §1.3 scopes):
// the creator's personal access token works, collaborators are refused, `pat_` OAuth tokens need
// the route's scope. (The `{"rules": null}` fidelity switch is tested in
// emulator/tests/admin_platform_auth.rs: it is process-wide, and test files here may run side by
// side.) "platform §x" is shared/spec/instant-platform-api.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlatformApi } from '@instantdb/platform';
import { init, id } from '@instantdb/admin';
import { apiURI, control, rejectsWithApiError } from './helpers.mjs';

/** A fresh Instant user with a personal access token. */
async function user() {
  const email = `admin-auth-${crypto.randomUUID()}@example.com`;
  const { 'personal-access-token': token, id: userId } = await control('/platform/users', { email });
  return { email, userId, token };
}

/** A `pat_` OAuth access token of `email` with these (space-separated) scopes. */
async function oauthToken(email, scopes, expiresInS) {
  const body = { email, scopes };
  if (expiresInS !== undefined) body['expires-in-s'] = expiresInS;
  const { 'access-token': token } = await control('/platform/oauth-tokens', body);
  return token;
}

/** An app created by `owner` through the Platform API, and the admin client on it with `token`. */
async function appOf(owner) {
  const { app } = await new PlatformApi({ auth: { token: owner.token }, apiURI }).createApp({ title: 'Admin auth' });
  return app;
}

const adminAs = (appId, token) => init({ appId, adminToken: token, apiURI });

const addGoal = (db, title) => db.transact(db.tx.goals[id()].update({ title }));

test("the creator's personal access token queries and transacts like the admin token", async () => {
  const owner = await user();
  const app = await appOf(owner);
  const db = adminAs(app.id, owner.token);
  await addGoal(db, 'by PAT');
  const { goals } = await db.query({ goals: {} });
  assert.deepEqual(goals.map((g) => g.title), ['by PAT']);
  // the app's own admin token keeps working beside it
  const admin = adminAs(app.id, app.adminToken);
  await addGoal(admin, 'by admin token');
  assert.equal((await db.query({ goals: {} })).goals.length, 2);
});

test("a collaborator's personal access token is refused: Record not found: app", async () => {
  const owner = await user();
  const app = await appOf(owner);
  const collaborator = await user();
  await control(`/platform/apps/${app.id}/members`, { email: collaborator.email, role: 'collaborator' });
  const db = adminAs(app.id, collaborator.token);
  const error = await rejectsWithApiError(db.query({ goals: {} }), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: app',
  });
  assert.deepEqual(error.hint, { args: [{ 'app-id': app.id, 'user-id': collaborator.userId }], 'record-type': 'app' });
  await rejectsWithApiError(addGoal(db, 'nope'), { status: 400, type: 'record-not-found', message: 'Record not found: app' });
  // even as an app admin, and with an OAuth token holding the scope
  await control(`/platform/apps/${app.id}/members`, { email: collaborator.email, role: 'admin' });
  const scoped = adminAs(app.id, await oauthToken(collaborator.email, 'data-write'));
  await rejectsWithApiError(scoped.query({ goals: {} }), { status: 400, type: 'record-not-found', message: 'Record not found: app' });
});

test('a data-read OAuth token can query but not transact', async () => {
  const owner = await user();
  const app = await appOf(owner);
  await addGoal(adminAs(app.id, app.adminToken), 'seeded');
  const db = adminAs(app.id, await oauthToken(owner.email, 'data-read'));
  assert.deepEqual((await db.query({ goals: {} })).goals.map((g) => g.title), ['seeded']);
  const error = await rejectsWithApiError(addGoal(db, 'nope'), {
    status: 400,
    type: 'permission-denied',
    message: 'You are missing the data-write scope',
  });
  assert.deepEqual(error.hint, { 'required-scope': 'data-write' });
  // scopes of other kinds do not stand in for data-read
  const apps = adminAs(app.id, await oauthToken(owner.email, 'apps-write storage-write'));
  const denied = await rejectsWithApiError(apps.query({ goals: {} }), {
    status: 400,
    type: 'permission-denied',
    message: 'You are missing the data-read scope',
  });
  assert.deepEqual(denied.hint, { 'required-scope': 'data-read' });
});

test('a data-write OAuth token can transact and query (data-write satisfies data-read)', async () => {
  const owner = await user();
  const app = await appOf(owner);
  const db = adminAs(app.id, await oauthToken(owner.email, 'data-write'));
  await addGoal(db, 'written');
  assert.deepEqual((await db.query({ goals: {} })).goals.map((g) => g.title), ['written']);
});

test('expired and unknown OAuth tokens are refused as the server refuses them', async () => {
  const owner = await user();
  const app = await appOf(owner);
  const expired = adminAs(app.id, await oauthToken(owner.email, 'data-write', 0));
  const error = await rejectsWithApiError(expired.query({ goals: {} }), {
    status: 400,
    type: 'record-expired',
    message: 'Record expired: oauth-access-token',
  });
  assert.match(error.hint.expired_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const unknown = adminAs(app.id, `pat_${'0'.repeat(64)}`);
  const missing = await rejectsWithApiError(unknown.query({ goals: {} }), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: oauth-access-token',
  });
  assert.deepEqual(missing.hint, { 'record-type': 'oauth-access-token' });
});
