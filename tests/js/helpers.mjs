// Shared set-up: every test file gets its own app on the emulator started by `cargo xtask test`,
// and the official client pointed at it with `apiURI`.
import { init } from '@instantdb/admin';

export const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) {
  throw new Error('INSTANT_API_URI is not set: run these tests with `cargo xtask test`');
}

/** Creates a fresh app (optionally with a schema) through the emulator's control surface. */
export async function freshApp(schema) {
  const response = await fetch(`${apiURI}/__emulator/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(schema ? { schema } : {}),
  });
  if (response.status !== 200) {
    throw new Error(`creating an app failed: ${response.status} ${await response.text()}`);
  }
  const { 'app-id': appId, 'admin-token': adminToken } = await response.json();
  return { appId, adminToken };
}

/** The official client for a fresh app. `schema` is only given to the emulator, not to `init`. */
export async function freshDb(schema, initOptions = {}) {
  const { appId, adminToken } = await freshApp(schema);
  const db = init({ appId, adminToken, apiURI, ...initOptions });
  return { db, appId, adminToken };
}

/** The schema JSON `i.schema(...)` gives for goals/todos/owner, as in the docs. */
export const goalsSchema = {
  entities: {
    goals: {
      attrs: {
        title: { valueType: 'string', required: true, config: { indexed: true, unique: false } },
        priority: { valueType: 'number', required: false, config: { indexed: true, unique: false } },
        slug: { valueType: 'string', required: false, config: { indexed: true, unique: true } },
      },
    },
    todos: {
      attrs: {
        text: { valueType: 'string', required: false, config: { indexed: false, unique: false } },
        done: { valueType: 'boolean', required: false, config: { indexed: true, unique: false } },
      },
    },
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
  rooms: {},
};

/** Ids sorted the way the server breaks ties (byte order of the UUID = lower-case hex order). */
export const byId = (ids) => [...ids].sort();
