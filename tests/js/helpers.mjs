// Shared set-up: every test file gets its own app on the emulator that `cargo xtask test` started,
// and the official client pointed at it with `apiURI`. Spec references (§x) are to
// shared/spec/instant-admin-api.md; "platform §x" to shared/spec/instant-platform-api.md.
import assert from 'node:assert/strict';
import { init, i } from '@instantdb/admin';

export const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) {
  throw new Error('INSTANT_API_URI is not set: run these tests with `cargo xtask test js`');
}

/** A control route of the emulator (`/__emulator<path>`): GET without a body, POST with one;
 * asserts a 200 and answers its JSON. */
export async function control(path, body) {
  const response = await fetch(`${apiURI}/__emulator${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

/** Creates a fresh app (optionally with a schema) through the emulator's control surface. */
export async function freshApp(schema) {
  const response = await fetch(`${apiURI}/__emulator/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // The schema travels exactly as `i.schema(...)` serialises it (platform §4.1).
    body: JSON.stringify(schema ? { schema } : {}),
  });
  if (response.status !== 200) {
    throw new Error(`creating an app failed: ${response.status} ${await response.text()}`);
  }
  const { 'app-id': appId, 'admin-token': adminToken } = await response.json();
  return { appId, adminToken };
}

/**
 * The official client for a fresh app. `schema` is given to the emulator only; pass
 * `{ schema }` in `initOptions` too to make the client send `inference?` and
 * `throw-on-missing-attrs?` as true (it sends `!!config.schema` for both).
 */
export async function freshDb(schema, initOptions = {}) {
  const { appId, adminToken } = await freshApp(schema);
  const db = init({ appId, adminToken, apiURI, ...initOptions });
  return { db, appId, adminToken };
}

/** goals ↔ todos (has-many / reverse has-one), goals → $users owner (has-one), as in the docs. */
export const goalsSchema = i.schema({
  entities: {
    goals: i.entity({
      title: i.string().indexed(),
      priority: i.number().indexed().optional(),
      slug: i.string().unique().indexed().optional(),
    }),
    todos: i.entity({
      text: i.string().optional(),
      done: i.boolean().indexed().optional(),
    }),
    $users: i.entity({
      email: i.string().unique().indexed().optional(),
    }),
  },
  links: {
    goalsTodos: {
      forward: { on: 'goals', has: 'many', label: 'todos' },
      reverse: { on: 'todos', has: 'one', label: 'goal' },
    },
    goalsOwner: {
      forward: { on: 'goals', has: 'one', label: 'owner' },
      reverse: { on: '$users', has: 'many', label: 'goals' },
    },
  },
});

/** Ids sorted the way the server breaks ties (§5.5: byte order of the UUID = lower-case hex order). */
export const byId = (ids) => [...ids].sort();

/** The ids of a result array, in order. */
export const ids = (entities) => entities.map((entity) => entity.id);

/**
 * Asserts that `promise` rejects with the client's `InstantAPIError` (§2.5) carrying this status
 * and body `type`; `message` is compared exactly when a string, matched when a RegExp.
 * Returns the error for further checks.
 */
export async function rejectsWithApiError(promise, { status, type, message }) {
  let error;
  await assert.rejects(promise, (err) => {
    error = err;
    return true;
  });
  assert.equal(error.name, 'InstantAPIError', `expected an InstantAPIError, got ${error.name}: ${error.message}`);
  assert.equal(error.status, status, `status (body: ${JSON.stringify(error.body)})`);
  assert.equal(error.body.type, type, `type (body: ${JSON.stringify(error.body)})`);
  if (typeof message === 'string') {
    assert.equal(error.body.message, message);
  } else if (message) {
    assert.match(error.body.message, message);
  }
  // The client copies the body's fields onto the error (§2.5).
  assert.equal(error.message, error.body.message);
  assert.deepEqual(error.hint, error.body.hint);
  return error;
}

/** Resolves after `ms` milliseconds: transactions apart in time get distinct serverCreatedAt (§5.5). */
export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The version headers name each client; everything else of a request is compared.
const VERSION_HEADERS = ['Instant-Admin-Version', 'Instant-Core-Version'];

/**
 * Runs `call` with `fetch` recording every request (and still sending it): `{ method, url,
 * headers, body }` without the version headers; a streamed body is recorded as its kind.
 */
export async function recordRequests(call) {
  const realFetch = globalThis.fetch;
  const sent = [];
  globalThis.fetch = async (url, init = {}) => {
    const headers = Object.entries(init.headers ?? {}).filter(([name]) => !VERSION_HEADERS.includes(name));
    const body = typeof init.body?.getReader === 'function' ? '<ReadableStream>' : init.body;
    sent.push({ method: init.method, url: String(url), headers, body });
    return realFetch(url, init);
  };
  try {
    await call();
  } finally {
    globalThis.fetch = realFetch;
  }
  return sent;
}
