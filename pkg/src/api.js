// The @instantdb/admin-compatible surface over the wasm client. Only what wasm-bindgen cannot
// express lives here: the `tx` Proxy, the `InstantAPIError` class, and reading the host's
// environment. Validation, requests, retries and errors are all in the wasm.
import { Client, id, lookup } from '../dist/instant_edge.js';

export { id, lookup };

export class InstantAPIError extends Error {}

const OPS = ['create', 'update', 'merge', 'link', 'unlink', 'delete', 'ruleParams'];
const LOOKUP = 'lookup__';

// `lookup__attr__json` in the id position becomes the `[attr, value]` pair, as in instatx.ts.
const eid = (key) => {
  if (!key.startsWith(LOOKUP)) return key;
  const [attr, ...json] = key.slice(LOOKUP.length).split('__');
  return [attr, JSON.parse(json.join('__'))];
};

const chunk = (etype, id, ops) =>
  new Proxy({}, {
    get: (_, cmd) =>
      cmd === '__ops' ? ops
      : cmd === '__etype' ? etype
      : OPS.includes(cmd) ? (args, opts) => chunk(etype, id, [...ops, opts ? [cmd, etype, id, args, opts] : [cmd, etype, id, args]])
      : undefined,
  });

/** `tx.goals[id].update({...}).link({...})`: records steps; nothing is sent until `transact`. */
export const tx = new Proxy({}, {
  get: (_, etype) =>
    new Proxy({}, {
      get: (_, key) =>
        key === 'lookup' ? (attr, value) => chunk(etype, [attr, value], [])
        : key === '__etype' ? etype
        : chunk(etype, eid(String(key)), []),
    }),
});

const rethrow = (error) => {
  if (error instanceof Error && error.name === 'InstantAPIError') Object.setPrototypeOf(error, InstantAPIError.prototype);
  throw error;
};

const env = (name) => {
  try {
    return globalThis.process?.env?.[name] ?? globalThis.Deno?.env?.get(name);
  } catch {
    return undefined; // Deno without --allow-env
  }
};

const wrap = (client) => ({
  tx,
  query: (query, opts) => client.query(query, opts).catch(rethrow),
  transact: (chunks, opts) =>
    client.transact((Array.isArray(chunks) ? chunks : [chunks]).flatMap((c) => c?.__ops ?? [c]), opts).catch(rethrow),
  asUser(who) {
    try {
      return wrap(client.asUser(who));
    } catch (error) {
      rethrow(error);
    }
  },
});

/**
 * `init({ appId, adminToken, apiURI })`, as in `@instantdb/admin`. In Node, Deno and Bun the
 * environment fills what is not given (INSTANT_APP_ID, INSTANT_APP_ADMIN_TOKEN, INSTANT_API_URI).
 */
export function init(config = {}) {
  const filled = {
    ...config,
    appId: config.appId ?? env('INSTANT_APP_ID'),
    adminToken: config.adminToken ?? env('INSTANT_APP_ADMIN_TOKEN'),
    apiURI: config.apiURI ?? env('INSTANT_API_URI') ?? 'https://api.instantdb.com',
  };
  try {
    return wrap(new Client(filled));
  } catch (error) {
    rethrow(error);
  }
}
