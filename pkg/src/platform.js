// The @instantdb/platform names over the wasm Platform client: shapes only. Why it looks like
// this: ../HACKING.md ("The platform entry").
import { Platform, id, oauth } from '../dist/platform_glue.js';
import { i } from './schema.js';

export { id, i };
// For the entries (pkg/platform/*.js), as in api.js.
export { initSync } from '../dist/platform_glue.js';

// The admin entry's class, again: the entries are separate bundles (see HACKING.md).
export class InstantAPIError extends Error {
  constructor({ status, body } = {}) {
    super(body?.message || `API Error (${status})`);
    Object.assign(this, { name: 'InstantAPIError', kind: 'api', status, body, hint: body?.hint, traceId: body?.['trace-id'] });
  }
}

export class PlatformApiMissingAuthError extends InstantAPIError {
  constructor() {
    const message = 'PlatformApi was not provided auth.';
    super({ status: 0, body: { type: 'invalid-argument', message } });
    Object.assign(this, { name: 'PlatformApiMissingAuthError', kind: 'invalid-argument' });
  }
}

// The official class and fields. The server answers OAuth failures with Instant errors, not
// RFC 6749 ones: `error` is their `type`, `errorDescription` their `message`, `cause` the
// InstantAPIError (status, hint, traceId). See HACKING.md ("OAuth").
export class InstantOAuthError extends Error {
  constructor({ message, error, errorDescription, cause } = {}) {
    super(message, cause && { cause });
    Object.assign(this, { name: 'InstantOAuthError', error, errorDescription });
  }

  get [Symbol.toStringTag]() {
    return 'InstantOAuthError';
  }
}

// The official class of a schema an overwrite push refuses (platform spec §4.6).
export class SchemaValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SchemaValidationError';
  }
}

for (const Class of [InstantAPIError, PlatformApiMissingAuthError, InstantOAuthError, SchemaValidationError])
  Object.defineProperty(Class, 'name', { value: new Class().name });

const adopt = (error) => {
  if (error instanceof Error && error.name === 'InstantAPIError') {
    const Class = error.kind === 'schema-validation' ? SchemaValidationError : InstantAPIError;
    Object.setPrototypeOf(error, Class.prototype);
    error.name = Class.name;
  }
  return error;
};
const rethrow = (error) => {
  throw adopt(error);
};

const env = (name) => {
  try {
    return globalThis.process?.env?.[name] ?? globalThis.Deno?.env?.get(name);
  } catch {} // Deno without --allow-env
};
// The admin entry's switch and record of warnings, shared through a global (see api.js).
const WARNINGS = (globalThis[Symbol.for('instant-edge.warnings')] ??= { enabled: true, said: new Set() });
export const setInstantWarningsEnabled = (enabled) => {
  WARNINGS.enabled = !!enabled;
};
const CLOUD = 'no apiURI or INSTANT_API_URI: using Instant Cloud, which closes on 2027-08-31';

// The API base: given, else INSTANT_API_URI, else the official default, kept for drop-in users
// and said out loud, as Instant Cloud closes.
const base = (apiURI) => {
  apiURI ??= env('INSTANT_API_URI');
  if (apiURI == null && WARNINGS.enabled && !WARNINGS.said.has(CLOUD)) {
    WARNINGS.said.add(CLOUD);
    console.warn(`instant-edge: ${CLOUD}`);
  }
  return apiURI ?? 'https://api.instantdb.com';
};

// An observer's or callback's exception is reported, never thrown into the client.
const report = (label, f, value) => {
  try {
    f?.(value);
  } catch (error) {
    console.error(`Error in ${label}`, error);
  }
};

// `apiSchemaToInstantSchemaDef`: the server's API schema as `i` builds it (platform spec §4.3).
const sorted = (object) => Object.entries(object ?? {}).sort(([a], [b]) => a.localeCompare(b));
const HAS = { 'many-false': ['many', 'many'], 'one-true': ['one', 'one'], 'many-true': ['many', 'one'], 'one-false': ['one', 'many'] };
const TYPES = { string: 1, number: 1, boolean: 1, date: 1, json: 1 };

const attrDef = (attr) => {
  const checked = attr['checked-data-type'];
  const type = checked ? (TYPES[checked] ? checked : 'any') : 'any';
  let def = i[type]();
  if (attr['unique?']) def = def.unique();
  if (attr['index?']) def = def.indexed();
  if (!attr['required?']) def = def.optional();
  def.metadata.derivedType = checked ? { type: checked, origin: 'checked' } : { type: 'any', origin: 'unknown' };
  return def;
};

export const apiSchemaToInstantSchemaDef = (schema) => {
  const entities = {};
  for (const [etype, attrs] of sorted(schema?.blobs))
    entities[etype] = i.entity(Object.fromEntries(sorted(attrs).filter(([label]) => label !== 'id').map(([label, attr]) => [label, attrDef(attr)])));
  const links = {};
  for (const [, attr] of sorted(schema?.refs)) {
    const [, on, label] = attr['forward-identity'];
    const [, reverseOn, reverseLabel] = attr['reverse-identity'] ?? [];
    const [has, reverseHas] = HAS[`${attr.cardinality}-${attr['unique?']}`] ?? [];
    links[on + label.charAt(0).toUpperCase() + label.slice(1)] = {
      forward: { on, has, label, required: attr['required?'] || undefined, onDelete: attr['on-delete'] === 'cascade' ? 'cascade' : undefined },
      reverse: { on: reverseOn, has: reverseHas, label: reverseLabel, onDelete: attr['on-delete-reverse'] === 'cascade' ? 'cascade' : undefined },
    };
  }
  return i.schema({ entities, links });
};

// `coerceApp` and `coerceOrg`.
const app = (row) => ({
  id: row.id,
  title: row.title,
  createdAt: new Date(row.created_at),
  orgId: row.org_id,
  ...(row['admin-token'] && { adminToken: row['admin-token'] }),
  ...('perms' in row && { perms: row.perms }),
  ...('schema' in row && { schema: apiSchemaToInstantSchemaDef(row.schema) }),
});
const org = (row) => ({ id: row.id, title: row.title, createdAt: new Date(row.created_at) });
const created = (row) => ({ ...app(row), adminToken: row['admin-token'] });

// A step from the wasm, `[type, friendlyDescription, params, job | null]`, in the official
// shape (`translatePlanStep`, with `formatJob`'s `backgroundJob` once it has a job).
const step = ([type, friendlyDescription, params, job]) => {
  const out =
    type === 'add-attr' || type === 'update-attr' ? { type, friendlyDescription, attr: params }
    : type === 'delete-attr' ? { type, attrId: params, friendlyDescription }
    : {
        type,
        friendlyDescription,
        attrId: params?.['attr-id'],
        forwardIdentity: params?.['forward-identity'],
        ...(type === 'check-data-type' && { checkedDataType: params['checked-data-type'] }),
      };
  if (job)
    out.backgroundJob = {
      id: job.id,
      createdAt: new Date(job.created_at),
      updatedAt: new Date(job.updated_at),
      status: job.job_status,
      workEstimate: job.work_estimate,
      workCompleted: job.work_completed,
      error: job.error,
      invalidTriplesSample: job.invalid_triples_sample?.map((s) => ({ entityId: s.entity_id, value: s.value, jsonType: s.json_type })),
      type: job.job_type,
      ...(job.job_type === 'check-data-type' && { checkedDataType: job.checked_data_type }),
      ...(job.job_type === 'unique' && { invalidUniqueValue: job.invalid_unique_value }),
    };
  return out;
};

// A summary from the wasm, `[friendlyDescription, steps]`, as `stepSummary` lays it out.
const summary = ([friendlyDescription, raw]) => {
  const steps = raw.map(step);
  const by = (...statuses) => steps.filter((s) => statuses.includes(s.backgroundJob ? s.backgroundJob.status : 'completed'));
  const [inProgressSteps, completedSteps, erroredSteps] = [by('waiting', 'processing'), by('completed'), by('errored')];
  return {
    friendlyDescription,
    totalCount: steps.length,
    inProgressCount: inProgressSteps.length,
    completedCount: completedSteps.length,
    errorCount: erroredSteps.length,
    steps,
    inProgressSteps,
    completedSteps,
    erroredSteps,
  };
};

// The official ProgressPromise, but a real Promise: `then`, `catch` and `finally` chain (they
// return plain Promises), and a rejection nobody awaits is not reported as unhandled (observers
// may take it). `subscribe` as the official one: progress to current observers, a settled
// result to late ones at once.
export class ProgressPromise extends Promise {
  static get [Symbol.species]() {
    return Promise;
  }

  #observers = [];
  #result;

  constructor(executor) {
    let settle;
    super((resolve, reject) => (settle = [resolve, reject]));
    this.then(undefined, () => {});
    const end = (result) => {
      if (this.#result) return;
      this.#result = result;
      settle[result[0]](result[1]);
      for (const observer of this.#observers.splice(0)) tell(observer, result);
    };
    const next = (status) => {
      if (!this.#result) for (const observer of this.#observers) report('schemaPush observer', observer.next?.bind(observer), status);
    };
    try {
      executor(next, (value) => end([0, value]), (error) => end([1, error]));
    } catch (error) {
      end([1, error]);
    }
  }

  subscribe(observer) {
    if (this.#result) tell(observer, this.#result);
    else this.#observers.push(observer);
    return { unsubscribe: () => (this.#observers = this.#observers.filter((o) => o !== observer)) };
  }
}

const tell = (observer, [failed, value]) =>
  report('schemaPush observer', failed ? observer.error?.bind(observer) : observer.complete?.bind(observer), value);

export class PlatformApi {
  #wasm;
  #auth;

  constructor(config) {
    const auth = (this.#auth = config?.auth);
    const onRefresh = auth?.onRefresh;
    this.#wasm = new Platform({
      auth,
      apiURI: base(config?.apiURI),
      // Awaited by the wasm after each refresh; what it throws is reported, the call goes on.
      onRefresh:
        typeof onRefresh === 'function'
          ? async (accessToken, expiresAt) => {
              try {
                await onRefresh.call(auth, { accessToken, expiresAt: new Date(expiresAt) });
              } catch (error) {
                console.error('Error in onRefresh callback', error);
              }
            }
          : onRefresh,
    });
  }

  // The wasm client, after the official check for credentials.
  #authed() {
    if (!this.#auth) throw new PlatformApiMissingAuthError();
    return this.#wasm;
  }

  async #call(f, shape = (r) => r) {
    return shape(await f(this.#authed()).catch(rethrow));
  }

  token() {
    return this.#authed().token();
  }

  canRefreshToken() {
    return this.#authed().canRefreshToken();
  }

  refreshToken() {
    return this.#call((w) => w.refreshToken(), (r) => r && { accessToken: r[0], expiresAt: new Date(r[1]) });
  }

  // The official `withRetry(f, [apiURI, token, ...rest])`: `f` is called again with a refreshed
  // token when it failed for an expired one (the wasm decides when, as for its own calls).
  async withRetry(f, [apiURI, token, ...rest]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f(apiURI, token, ...rest);
      } catch (error) {
        if (!this.#wasm.refreshes(error, attempt)) throw error;
        token = (await this.refreshToken()).accessToken;
      }
    }
  }

  getApp(appId, opts) {
    return this.#call((w) => w.getApp(appId, opts), (r) => ({ app: app(r.app) }));
  }

  getApps(opts) {
    return this.#call((w) => w.getApps(opts), (r) => ({ apps: r.apps.map(app) }));
  }

  getAppsForOrg(orgId, opts) {
    return this.#call((w) => w.getAppsForOrg(orgId, opts), (r) => ({ apps: r.apps.map(app) }));
  }

  getOrgs() {
    return this.#call((w) => w.getOrgs(), (r) => ({ orgs: r.orgs.map(org) }));
  }

  getSchema(appId) {
    return this.#call((w) => w.getSchema(appId), (r) => ({ schema: apiSchemaToInstantSchemaDef(r.schema) }));
  }

  getPerms(appId) {
    return this.#call((w) => w.getPerms(appId));
  }

  createApp(fields) {
    return this.#call((w) => w.createApp(fields), (r) => ({ app: created(r.app) }));
  }

  createTemporaryApp(fields) {
    return this.#wasm.createTemporaryApp(fields).then((r) => ({ app: created(r.app), expiresMs: r.expires_ms }), rethrow);
  }

  updateApp(appId, fields) {
    return this.#call((w) => w.updateApp(appId, fields), (r) => ({ app: app(r.app) }));
  }

  deleteApp(appId) {
    return this.#call((w) => w.deleteApp(appId), (r) => ({ app: app(r.app) }));
  }

  pushPerms(appId, body) {
    return this.#call((w) => w.pushPerms(appId, body), (perms) => ({ perms }));
  }

  planSchemaPush(appId, body) {
    return this.#call(
      (w) => w.planSchemaPush(appId, body),
      ([plan, said]) => ({
        // An overwrite plan is made here, from the schema given: the official answers it.
        newSchema: plan['new-schema'] === null ? body.schema : apiSchemaToInstantSchemaDef(plan['new-schema']),
        currentSchema: apiSchemaToInstantSchemaDef(plan['current-schema']),
        steps: plan.steps.map(([type, params], k) => step([type, said[k], params])),
      }),
    );
  }

  schemaPush(appId, body) {
    const wasm = this.#authed();
    return new ProgressPromise((progress, resolve, reject) =>
      wasm.schemaPush(appId, body, (s) => progress(summary(s))).then(([s, schema]) => {
        const result = summary(s);
        resolve({ newSchema: apiSchemaToInstantSchemaDef(schema), steps: result.steps, summary: result });
      }, (error) => reject(adopt(error))),
    );
  }

  tokenInfo() {
    return this.#call((w) => w.tokenInfo(), (r) => ({ tokenType: r.tokenType, scopes: r.scopes, expiresAt: new Date(r.expiresAt) }));
  }
}

// OAuth (platform spec §2): the wasm exchanges, JS shapes and drives the popup.
const oauthError = (error, errorDescription, cause) =>
  new InstantOAuthError({ error, errorDescription, message: `OAuth error: ${error}${errorDescription ? ` (${errorDescription})` : ''}`, cause });
const fail = (e) => {
  throw oauthError(e.body?.type ?? 'server_error', e.body?.message ?? e.message, adopt(e));
};
const grant = (r) => ({ accessToken: r[0], expiresAt: new Date(r[2]), refreshToken: r[1], scopes: r[3], tokenType: r[4] });
const at = (opts) => ({ ...opts, apiURI: base(opts?.apiURI) });

export const exchangeCodeForToken = (opts) => oauth(0, at(opts)).then(grant, fail);

export const exchangeRefreshToken = (opts) =>
  oauth(1, at(opts)).then((r) => ({ accessToken: r[0], expiresAt: new Date(r[2]), scopes: r[3], tokenType: r[4] }), fail);

export const revokeToken = (opts) => oauth(2, at(opts)).catch(fail);

export const createAuthorizationUrl = (opts) => oauth(3, at(opts)).then(([url, state, codeVerifier]) => ({ url, state, codeVerifier }), fail);

// The popup of the running client-only flow: closed when another starts.
let popup;

// The official popup: at most 800 × 630, centred, an eighth of the way down.
const features = () => {
  const { outerWidth: w, outerHeight: h, screenX: x, screenY: y } = window;
  const width = Math.min(800, Math.floor(w * 0.8));
  const height = Math.min(630, Math.floor(h / 2));
  return `width=${width},height=${height},left=${Math.round(x + (w - width) / 2)},top=${Math.round(y + (h - height) / 8)},toolbar=0,scrollbars=1,status=1,resizable=1,menubar=0`;
};

export class OAuthHandler {
  constructor({ redirectUri, apiURI, clientId }) {
    Object.assign(this, { redirectUri, apiURI: base(apiURI), clientId });
  }

  startClientOnlyFlow(scopes) {
    if (typeof window === 'undefined') throw new Error('OAuth flow can only be started on the client.');
    popup?.close();
    // Opened blank and at once, in the click's task, or popup blockers stop it.
    const w = (popup = window.open('', `instantdb_oauth_${String(Math.random()).slice(2)}`, features()));
    if (!w) return Promise.reject(oauthError('Could not open Auth window'));
    const state = id();
    const opts = { apiURI: this.apiURI, clientId: this.clientId, redirectUri: this.redirectUri };
    const verifier = oauth(3, { ...opts, scopes, state }).then(([url, , verifier]) => {
      w.location.href = url;
      return verifier;
    });
    const channel = new BroadcastChannel(state);
    return new Promise((resolve, reject) => {
      verifier.catch((e) => {
        w.close();
        reject(e);
      });
      channel.onmessage = async ({ data }) => {
        if (data?.type !== 'oauth-redirect' || data.state !== state) return;
        try {
          if (!data.code) throw oauthError(typeof data.error == 'string' ? data.error : 'server_error', data.errorDescription);
          const r = await oauth(0, { ...opts, code: data.code, codeVerifier: await verifier });
          resolve({ token: r[0], expiresAt: new Date(r[2]) });
        } catch (e) {
          reject(e);
        }
        channel.postMessage({ type: 'oauth-redirect-window-done' });
      };
    })
      .catch((e) => (e instanceof InstantOAuthError ? Promise.reject(e) : fail(e)))
      .finally(() => channel.close());
  }

  handleClientRedirect() {
    if (typeof window === 'undefined') throw new Error('This function may only be used in a browser context.');
    const query = new URL(window.location.href).searchParams;
    const state = query.get('state');
    if (!state) throw new Error('Invalid redirect. The state param is missing.');
    const channel = new BroadcastChannel(state);
    channel.onmessage = ({ data }) => data?.type == 'oauth-redirect-window-done' && window.close();
    channel.postMessage({ type: 'oauth-redirect', state, error: query.get('error'), errorDescription: query.get('error_description'), code: query.get('code') });
    return () => channel.close();
  }
}
