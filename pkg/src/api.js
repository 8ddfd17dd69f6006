// The @instantdb/admin names over the wasm client. Why it looks like this: ../HACKING.md.
import { Client, id, lookup as encode, webhook } from '../dist/instant_edge.js';

export { id };
export { i } from './schema.js';
import { dateConverter } from './dates.js';
import { streamsOf } from './streams.js';
// For the entries (pkg/*.js), which each get the compiled wasm as their runtime allows; not part
// of the package's API (the entries re-export only the @instantdb/admin names).
export { initSync } from '../dist/instant_edge.js';

export class InstantError extends Error {
  constructor(message, hint, traceId) {
    super(message);
    Object.assign(this, { name: 'InstantError', hint }, traceId && { traceId });
  }
}

export class InstantAPIError extends InstantError {
  constructor({ status, body } = {}) {
    super(body?.message || `API Error (${status})`);
    Object.assign(this, { name: 'InstantAPIError', kind: 'api', status, body, hint: body?.hint, traceId: body?.['trace-id'] });
  }
}

export class QueryValidationError extends Error {
  constructor(message, path) {
    super(path ? `At path '${path}': ${message}` : message);
    this.name = 'QueryValidationError';
  }
}

export class TransactionValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TransactionValidationError';
  }
}

// The bundle's minifier renames the classes: their `name` (what an error prints as) is set here.
for (const Class of [InstantError, InstantAPIError, QueryValidationError, TransactionValidationError])
  Object.defineProperty(Class, 'name', { value: new Class({}).name });
// Errors of the wasm by `kind`: the schema's refusals and the webhooks' get the official classes.
const CLASSES = { 'query-validation': QueryValidationError, 'transaction-validation': TransactionValidationError, webhook: InstantError };

const rethrow = (error) => {
  if (error instanceof Error && error.name === 'InstantAPIError') {
    const Class = CLASSES[error.kind] ?? InstantAPIError;
    Object.setPrototypeOf(error, Class.prototype);
    error.name = Class.name;
  }
  throw error;
};

// An error of the wasm with its class (see `rethrow`), returned.
const fix = (error) => {
  try {
    rethrow(error);
  } catch (fixed) {
    return fixed;
  }
};

const call = (f) => {
  try {
    return f();
  } catch (error) {
    rethrow(error);
  }
};

export const lookup = (attribute, value) => call(() => encode(String(attribute), value));

const OPS = ['create', 'update', 'merge', 'link', 'unlink', 'delete', 'ruleParams'];

const eid = (key) => {
  if (!key.startsWith('lookup__')) return key;
  const [, attribute, ...json] = key.split('__');
  return [attribute, JSON.parse(json.join('__'))];
};

const chunk = (etype, id, ops) =>
  new Proxy({ __etype: etype, __ops: ops }, {
    get: (_, cmd) =>
      cmd === '__ops' ? ops
      : cmd === '__etype' ? etype
      : OPS.includes(cmd) ? (args, opts) => chunk(etype, id, [...ops, opts ? [cmd, etype, id, args, opts] : [cmd, etype, id, args]])
      : undefined,
  });

export const tx = new Proxy({}, {
  get: (_, etype) =>
    new Proxy({ __etype: etype }, {
      get: (_, key) =>
        key === 'lookup' ? (attribute, value) => chunk(etype, eid(lookup(attribute, value)), [])
        : key === '__etype' ? etype
        : chunk(etype, eid(String(key)), []),
    }),
});

const env = (name) => {
  try {
    return globalThis.process?.env?.[name] ?? globalThis.Deno?.env?.get(name);
  } catch {} // Deno without --allow-env
};

// The wasm's `call(area, method, args)`: 0 query, 1 transact, 2 auth, 3 storage, 4 presence,
// 8 debugQuery, 9 debugTransact (one export for every call: see src/js/mod.rs).
const AUTH = ['createToken', 'verifyToken', 'getUser', 'deleteUser', 'signOut', 'generateMagicCode',
  'sendMagicCode', 'verifyMagicCode', 'checkMagicCode', 'signInGuest', 'listUsers'];
const STORAGE = ['uploadFile', 'delete', 'deleteMany', 'list', 'getDownloadUrl'];
const calls = (client, area, names) =>
  Object.fromEntries(names.map((m) => [m, (...args) => client.call(area, m, args).catch(rethrow)]));

// `tx` chunks → their flat steps, as @instantdb/admin sends them (plain arrays read faster than
// the chunk Proxies). What cannot be flattened goes as it is: the wasm reads it and rejects it
// with a typed error.
const steps = (chunks) => {
  try {
    return (Array.isArray(chunks) ? chunks : [chunks]).flatMap((c) => c?.__ops ?? [c]);
  } catch {
    return chunks;
  }
};

// Headers the client sets (`fetchOpts` may not replace them: that would change whom a call acts
// as without a word) and those the transport owns.
const OWN = /^(authorization|app-id|as-(email|token|guest)|content-(type|length)|instant-(admin|core)-version|host|transfer-encoding|connection)$/;

// `opts.fetchOpts` (as @instantdb/admin takes it) → `[opts, init]`: `init` goes to every `fetch`
// of the call (`Call` in host.js adds its headers, checked here, to the client's); its signal is
// the call's when `opts` has none. Read once; bad input (or what reading it throws) is the
// wasm's invalid-argument error.
const fetchInit = (opts, log) => {
  const fetchOpts = opts?.fetchOpts;
  if (fetchOpts == null) return [opts, log && { [LOG]: log }];
  let why, cause, init, signal;
  try {
    let headers;
    ({ headers, signal, ...init } = fetchOpts);
    headers = Object.fromEntries(new Headers(headers ?? {}));
    const own = Object.keys(headers).find((name) => OWN.test(name));
    why = typeof fetchOpts !== 'object' ? 'must be an object'
      : 'method' in init || 'body' in init ? 'cannot set method or body: the call sets them'
      : own && `header \`${own}\` is set by the client and cannot be replaced per call`;
    init.headers = headers;
  } catch (error) {
    [why, cause] = [`could not be read: ${error?.message ?? error}`, error];
  }
  if (why) throw Object.assign(new InstantAPIError({ body: { type: 'invalid-argument', message: `invalid fetchOpts: ${why}` } }), { status: 0, kind: 'invalid-argument', cause });
  return [signal && opts.signal == null ? { ...opts, signal } : opts, { ...init, [LOG]: log }];
};

// `init({ verbose, logger })`: the logger rides on the `fetch` init of each call (see `say` in
// src/host/wasm/host.js), under a key `fetch` never reads.
const LOG = Symbol.for('instant-edge.log');

// Warnings (`setInstantWarningsEnabled(false)` silences them), each once per process.
// One switch and one record of what was said for both entries (`instant-edge` and
// `instant-edge/platform` are separate bundles): a global under a `Symbol.for` key.
const WARNINGS = (globalThis[Symbol.for('instant-edge.warnings')] ??= { enabled: true, said: new Set() });
export const setInstantWarningsEnabled = (enabled) => {
  WARNINGS.enabled = !!enabled;
};
const warn = (text) => {
  if (WARNINGS.enabled && !WARNINGS.said.has(text)) {
    WARNINGS.said.add(text);
    console.warn(`instant-edge: ${text}`);
  }
};

// A Request is a host object: its cookie header is read here; what reading it throws goes to
// the wasm, which rejects with a typed error (never a synchronous throw).
const cookie = (request) => {
  try {
    return request?.headers?.get?.('cookie') ?? '';
  } catch (error) {
    return error instanceof Object ? error : new Error(String(error));
  }
};

// `db.subscribeQuery`: the wasm calls `push` with every payload; the async iterator keeps the
// newest result (a slow reader skips to it) and never drops an error. A throwing callback is
// reported as the official client reports it, and the subscription goes on.
const live = (client, query, cb, opts, dates, log) => {
  let queue = [];
  let wake;
  const push = (payload) => {
    if (payload.error) Object.setPrototypeOf(payload.error, InstantAPIError.prototype);
    else dates?.(payload.data);
    queue = payload.type === 'ok' ? queue.filter((p) => p.type !== 'ok').concat(payload) : queue.concat(payload);
    wake?.();
    try {
      cb?.(payload);
    } catch (error) {
      console.error('Error in subscribeQuery callback', error);
    }
  };
  const [options, init] = fetchInit(opts, log);
  const handle = client.subscribeQuery(query, cb, options, push, init);
  const close = () => {
    handle.close();
    wake?.();
  };
  // `signal` (or `fetchOpts.signal`) ends the subscription, as `close()` does.
  const signal = options?.signal;
  if (signal?.aborted) close();
  else signal?.addEventListener?.('abort', close, { once: true });
  return {
    close,
    get isClosed() {
      return handle.isClosed;
    },
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        while (!queue.length && !handle.isClosed) await new Promise((resolve) => (wake = resolve));
        return queue.length ? { value: queue.shift(), done: false } : { value: undefined, done: true };
      },
      return: async () => (close(), { value: undefined, done: true }),
    }),
  };
};

// `db.webhooks` (area 5 of `call`; `validate` is the wasm's own export). The official shapes of
// the manager's answers (camelCase, `Date`s) and the dispatch over JS handlers are made here.
const date = (s) => (s ? new Date(s) : null);
const info = (r) => ({ id: r.id, sink: r.sink, namespaces: r.namespaces ?? [], actions: r.actions, status: r.status,
  disabledReason: r.disabled_reason ?? null, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) });
const attempt = (a) => ({ attemptAt: date(a['attempt-at']), durationMs: a['duration-ms'] ?? null, success: a['success?'] ?? null,
  statusCode: a['status-code'] ?? null, responseText: a['response-text'] ?? null, errorType: a['error-type'] ?? null,
  errorMessage: a['error-message'] ?? null });
const event = (r) => ({ isn: r.isn, status: r.status, attempts: r.attempts ? r.attempts.map(attempt) : null,
  nextAttemptAfter: date(r.next_attempt_after), createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) });
const SHAPES = {
  list: (r) => (r || []).map(info),
  listEvents: (r) => ({ events: (r.events || []).map(event), pageInfo: { startCursor: r.pageInfo?.startCursor ?? null,
    endCursor: r.pageInfo?.endCursor ?? null, hasNextPage: !!r.pageInfo?.hasNextPage } }),
  getEvent: event,
  resendEvent: event,
  getPayload: (r) => r,
};
// The manager's requests (docs/webhooks.md §a), each one generic request of the wasm (area 5,
// which checks the segments, builds the URL and adds the admin token and the official headers):
// [method, the path's segments after /dash/apps/<appId>/webhooks (after /webhooks/payload/<appId>
// when `payloadRoute`), the answer's field (none: the whole JSON), the body (a POST's), the
// options holding `after`, payloadRoute].
const MANAGER = {
  create: (params) => ['POST', [], 'webhook', params],
  update: (id, params) => ['POST', [id], 'webhook', params],
  delete: (id) => ['DELETE', [id], 'webhook'],
  enable: (id) => ['POST', [id, 'enable'], 'webhook', {}],
  disable: (id, opts) => ['POST', [id, 'disable'], 'webhook', opts?.reason ? { reason: opts.reason } : {}],
  list: () => ['GET', [], 'webhooks'],
  listEvents: (id, opts) => ['GET', [id, 'events'], , , opts],
  getEvent: (id, isn) => ['GET', [id, 'events', isn], 'event'],
  resendEvent: (id, isn) => ['POST', [id, 'events', isn], 'event', {}],
  getPayload: (id, isn) => ['GET', [id, isn], , , , true],
};
const helpers = () => ({
  typedHandlers: (...args) => (args.length === 2 ? { $default: args[1] } : { [args[0]]: { [args[1]]: args[2] } }),
  combineHandlers: (...entries) => {
    const result = {};
    for (const entry of entries)
      for (const key of Object.keys(entry)) result[key] = key === '$default' ? entry.$default : { ...result[key], ...entry[key] };
    return result;
  },
});
// Imported webhook signing keys, by `<apiURI>:<kid>`, for the life of the process.
const signingKeys = new Map();
const hexBytes = (hex) => Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16));

const webhooks = (client, apiURI) => {
  const hook = (m, ...args) => client.call(5, m, args).catch(rethrow);
  // The official `validate` steps: header and age (wasm), the key (pinned, or from the key set
  // fetched on a miss; imported by Web Crypto), the body (read only now), Ed25519 verify, the
  // body's shape (wasm). Each refusal is the official InstantError.
  const validate = async (header, body, opts, request) => {
    try {
      const [t, kid, v1] = webhook(0, header, [opts?.receivedAt ? +opts.receivedAt : NaN, opts?.tolerance ?? undefined], request);
      const id = `${apiURI}:${kid}`;
      let key = signingKeys.get(id);
      if (!key) {
        const x = webhook(1, apiURI, kid) ?? webhook(1, apiURI, kid, await hook('fetchJwks'));
        try {
          key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x }, { name: 'Ed25519' }, false, ['verify']);
        } catch {
          throw webhook(3, kid);
        }
        signingKeys.set(id, key);
      }
      let text = body;
      try {
        if (typeof body === 'function') text = await body();
      } catch (cause) {
        throw Object.assign(new InstantAPIError({ body: { type: 'invalid-argument', message: `invalid body: could not be read: ${cause?.message ?? cause}` } }), { status: 0, kind: 'invalid-argument', cause });
      }
      if (typeof text !== 'string')
        throw Object.assign(new InstantAPIError({ body: { type: 'invalid-argument', message: 'invalid body: must be a string, or a function that returns one' } }), { status: 0, kind: 'invalid-argument' });
      const signed = new TextEncoder().encode(`${t}.${text}`);
      if (!/^[0-9a-fA-F]{128}$/.test(v1) || !(await crypto.subtle.verify('Ed25519', key, hexBytes(v1), signed))) throw webhook(2, header);
      return webhook(4, text);
    } catch (error) {
      rethrow(error);
    }
  };
  const hooks = {
    // Async: what reading the arguments throws rejects, as the official methods do.
    manager: Object.fromEntries(Object.keys(MANAGER)
      .map((m) => [m, async (...args) => hook(...MANAGER[m](...args)).then(SHAPES[m] ?? info)])),
    fetchJwks: () => hook('fetchJwks'),
    validate: (header, body, opts) => validate(header, body, opts, false),
    validateRequest: async (req, opts) => validate(req.headers.get('instant-signature'), () => req.text(), opts, true),
    fetchPayloads: (body) => hook('fetchPayloads', body),
    processPayload: async (handlers, payload) => {
      const results = [];
      for (const record of payload.data) {
        const { namespace, action } = record;
        const handler = handlers?.[namespace]?.[action] || handlers?.[namespace]?.$default || handlers?.$default;
        if (handler) results.push(handler(record));
      }
      await Promise.all(results);
    },
    processRequest: async (handlers, req, opts) =>
      hooks.processPayload(handlers, await hooks.fetchPayloads(await hooks.validateRequest(req, opts))),
    helpers,
  };
  return hooks;
};

// `dates`: converts `i.date()` attributes of results to `Date`s (`useDateObjects`), or undefined.
const wrap = (client, dates, log, apiURI) => {
  // A data call: what the schema refuses throws (as @instantdb/admin throws), the rest rejects.
  const data = (area, arg, opts) => {
    let init;
    try {
      [opts, init] = fetchInit(opts, log);
    } catch (error) {
      return Promise.reject(error);
    }
    return call(() => client.call(area, '', [arg, opts, init]));
  };
  const auth = calls(client, 2, AUTH);
  auth.getUserFromRequest = (request, opts) =>
    client.call(2, 'getUserFromRequest', [cookie(request), opts?.disableValidation === true]).catch(rethrow);
  return {
    tx,
    auth,
    storage: calls(client, 3, STORAGE),
    streams: streamsOf(client, { InstantError, InstantAPIError, fix, id }),
    rooms: { getPresence: (type, id) => client.call(4, '', [type, id]).catch(rethrow) },
    webhooks: webhooks(client, apiURI),
    subscribeQuery: (query, cb, opts) => call(() => live(client, query, cb, opts, dates, log)),
    query: (query, opts) => data(0, query, opts).then(dates, rethrow),
    transact: (chunks, opts) => data(1, steps(chunks), opts).catch(rethrow),
    debugQuery: (query, opts) =>
      data(8, query, opts).then((r) => ({ result: r?.result, checkResults: r?.['check-results'] }), rethrow),
    debugTransact: (chunks, opts) => data(9, steps(chunks), opts).catch(rethrow),
    asUser: (who) => call(() => wrap(client.asUser(who), dates, log, apiURI)),
  };
};

export const init = (config = {}) =>
  call(() => {
    const apiURI = config.apiURI ?? env('INSTANT_API_URI');
    // The official default, kept for drop-in users; said out loud, as Instant Cloud closes.
    if (apiURI == null) warn('no apiURI or INSTANT_API_URI: using Instant Cloud, which closes on 2027-08-31');
    if (config.useDateObjects === true && !config.schema) warn('useDateObjects without a schema converts nothing');
    const client = new Client({
      ...config,
      appId: config.appId ?? env('INSTANT_APP_ID'),
      adminToken: config.adminToken ?? env('INSTANT_APP_ADMIN_TOKEN'),
      apiURI: apiURI ?? 'https://api.instantdb.com',
    });
    return wrap(
      client,
      config.useDateObjects === true ? dateConverter(config.schema) : undefined,
      config.verbose ? (config.logger ?? console) : undefined,
      apiURI ?? 'https://api.instantdb.com',
    );
  });
