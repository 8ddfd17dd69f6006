// Types for instant-edge: the @instantdb/admin names and shapes, schema-less.

/** A JSON value as queries, steps and results carry it. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export interface InstantConfig {
  /** The app id (a UUID). Falls back to INSTANT_APP_ID in Node, Deno and Bun. */
  appId?: string;
  /** The admin token. Falls back to INSTANT_APP_ADMIN_TOKEN. Never logged, never put in URLs. */
  adminToken?: string;
  /** The API base. Falls back to INSTANT_API_URI, then https://api.instantdb.com. */
  apiURI?: string;
  /** The schema (`i.schema(...)` or its JSON): queries and transactions are checked against it before they are sent (throwing QueryValidationError / TransactionValidationError), and `inference?` / `throw-on-missing-attrs?` are sent as true. */
  schema?: unknown;
  /** With a schema: check nothing here (the server-side flags are still sent). */
  disableValidation?: boolean;
  /** Default per-call timeout in ms (default 30000; 0 = none). */
  timeout?: number;
  /** Retries of queries on network errors, 408, 429 and 5xx (default 3). */
  retries?: number;
}

/** Per-call options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the default timeout for this call (ms; 0 = none). */
  timeout?: number;
}

export interface QueryOptions extends CallOptions {
  /** Rule params for permission rules (sent as `$$ruleParams` inside the query). */
  ruleParams?: Record<string, JSONValue>;
}

export type ImpersonationOpts = { email: string } | { token: string } | { guest: true };

export type Op = [action: string, etype: string, id: string | [string, JSONValue], args?: unknown, opts?: UpdateOpts];

export interface UpdateOpts {
  /** `false`: the entity must exist already. */
  upsert?: boolean;
}

/** A link map: label → id, lookup string, or arrays of them. */
export type LinkParams = Record<string, string | string[] | Record<string, JSONValue>>;

export interface TransactionChunk {
  readonly __ops: Op[];
  readonly __etype: string;
  create(args: Record<string, unknown>): TransactionChunk;
  update(args: Record<string, unknown>, opts?: UpdateOpts): TransactionChunk;
  merge(args: Record<string, unknown>, opts?: UpdateOpts): TransactionChunk;
  link(args: LinkParams): TransactionChunk;
  unlink(args: LinkParams): TransactionChunk;
  delete(): TransactionChunk;
  ruleParams(args: Record<string, JSONValue>): TransactionChunk;
}

export type ETypeChunk = { [id: string]: TransactionChunk } & {
  lookup(attribute: string, value: JSONValue): TransactionChunk;
};

export type TxChunk = { [etype: string]: ETypeChunk };

/** A user as the auth calls return it (plus any app-defined `$users` attributes). */
export interface User {
  id: string;
  email?: string;
  type?: 'user' | 'guest';
  isGuest?: boolean;
  created_at?: string;
  app_id?: string;
  refresh_token?: string;
  [attribute: string]: unknown;
}

export type UserLookup = { email: string } | { id: string } | { refresh_token: string };

/** `db.auth`: the calls of @instantdb/admin's `auth`, plus `signInGuest` and `listUsers`. */
export interface Auth {
  /** A new refresh token for the user, created if needed. */
  createToken(user: string | { email: string } | { id: string }): Promise<string>;
  /** The user of a refresh token; rejects (400) when it is unknown. */
  verifyToken(token: string): Promise<User>;
  getUser(user: UserLookup): Promise<User | null>;
  deleteUser(user: UserLookup): Promise<User | null>;
  signOut(user: string | UserLookup): Promise<void>;
  generateMagicCode(email: string): Promise<{ code: string }>;
  sendMagicCode(email: string): Promise<{ code: string }>;
  verifyMagicCode(email: string, code: string): Promise<User>;
  checkMagicCode(email: string, code: string, opts?: { extraFields?: Record<string, unknown> }): Promise<{ user: User; created: boolean }>;
  /** A new guest user with a refresh token (not in @instantdb/admin). */
  signInGuest(): Promise<User>;
  /**
   * A page of `$users` in email order (guests first), `limit` 1–1000 (default 100), after a
   * previous page's `pageInfo.endCursor`. Cursors survive users being added or deleted.
   *
   * ```ts
   * let after: string | undefined;
   * do {
   *   const { users, pageInfo } = await db.auth.listUsers({ limit: 100, after });
   *   users.forEach((u) => console.log(u.email));
   *   after = pageInfo.hasNextPage ? pageInfo.endCursor! : undefined;
   * } while (after);
   * ```
   */
  listUsers(opts?: { limit?: number; after?: string | null }): Promise<{
    users: User[];
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  }>;
  /** The user in the request's `instant_user_<appId>` cookie, verified unless `disableValidation`; `null` when there is no usable cookie. */
  getUserFromRequest(request: { headers: { get(name: string): string | null } }, opts?: { disableValidation?: boolean }): Promise<User | null>;
}

/** What `uploadFile` sends: never copied into wasm memory; streams are streamed. */
export type UploadData =
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | ReadableStream<Uint8Array>
  | string
  /** A Node `Readable` (converted with `ReadableStream.from`). */
  | (AsyncIterable<Uint8Array> & { pipe(...args: any[]): any; read(...args: any[]): any });

export interface UploadMetadata {
  contentType?: string;
  contentDisposition?: string;
  /** The size of a stream, sent as `content-length` (optional: without it the body is chunked). */
  fileSize?: number;
  /** Called as bytes are pulled: `loaded` grows to `total` (`null` for a stream of unknown size). */
  onProgress?: (progress: { loaded: number; total: number | null }) => void;
}

/** A `$files` row, with the fields the official `list()` returned (`name`, `key`, `etag`, `last_modified`). */
export interface StoredFile {
  id: string;
  path: string;
  size?: number;
  url?: string;
  'content-type'?: string;
  'content-disposition'?: string;
  name: string;
  key: string | null;
  etag: null;
  last_modified: null;
  [attribute: string]: unknown;
}

/** `db.storage`: as in @instantdb/admin, and every call honours `asUser`. */
export interface Storage {
  /** Uploads (replacing what is at `path`). */
  uploadFile(path: string, data: UploadData, metadata?: UploadMetadata): Promise<{ data: { id: string; 'location-id'?: string; size?: number } }>;
  /** Deletes one file; `data.id` is `null` when there was none. */
  delete(path: string): Promise<{ data: { id: string | null } }>;
  /** Deletes files; `data.ids` lists those actually deleted. */
  deleteMany(paths: string[]): Promise<{ data: { ids: string[] } }>;
  /** Every file the caller may see (a `$files` query, not the deprecated route). */
  list(): Promise<StoredFile[]>;
  /** The download URL of the file at `path`, or `null` (a `$files` query). */
  getDownloadUrl(path: string): Promise<string | null>;
}

/** `pageInfo` of a live result, per paginated top-level namespace. */
export interface PageInfo {
  startCursor: unknown[] | null;
  endCursor: unknown[] | null;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** What a live query delivers: a whole result, or the error that ended it. */
export type SubscriptionPayload<R = any> =
  | { type: 'ok'; data: R; pageInfo: Record<string, PageInfo> | undefined; sessionInfo: { machineId: string; sessionId: string } }
  | { type: 'error'; error: InstantAPIError };

/**
 * A live query. Reconnects by itself on dropped streams, network errors, 429 and 5xx (backoff
 * from the server's `retry:`); 400/401/403/404 or an error event end it with an error payload.
 * The iterator yields the newest result (a slow reader skips superseded ones) and ends after
 * `close()` or an error.
 */
export interface Subscription<R = any> extends AsyncIterable<SubscriptionPayload<R>> {
  close(): void;
  readonly isClosed: boolean;
}

/** One permission check of `debugQuery`: per entity the query touched, and per field for `fields` rules. */
export interface DebugCheckResult {
  /** The entity's id. */
  id: string;
  /** Its namespace. */
  entity: string;
  /** The field a `fields` rule checked; `null` for the entity's `view` rule. */
  label?: string | null;
  /** The entity as the rule saw it. */
  record: Record<string, any>;
  /** The rule that ran; `{}` when none applies. */
  program?: { etype?: string; action?: string; code?: string; 'display-code'?: string };
  /** The rule's raw result (`true` when no rule applies). */
  check: any;
}

/** `debugQuery`'s options: rules, rule params, `request.ip` / `request.origin` as the rules see them. */
export interface DebugQueryOptions extends CallOptions {
  /** A whole rules document used instead of the app's stored rules. */
  rules?: any;
  /** Rule params (sent as `$$ruleParams` inside the query). */
  ruleParams?: { [key: string]: any };
  ip?: string | null | undefined;
  origin?: string | null | undefined;
  /** Singular links as objects (`inference?`); default: whether `init` got a schema. */
  cardinalityInference?: boolean;
}

/** `debugTransact`'s options. */
export interface DebugTransactOptions extends CallOptions {
  /** A whole rules document used instead of the app's stored rules. */
  rules?: any;
  ip?: string | null | undefined;
  origin?: string | null | undefined;
}

/** One permission check of `debugTransact`. */
export interface DebugTransactCheckResult {
  /** `object` (an entity's rule) or `attr` (`etype` is `"attrs"`). */
  scope: 'object' | 'attr';
  action: string;
  etype: string;
  /** The entity's id (absent for attribute checks). */
  eid?: string;
  /** The rule that ran; `{}` when none applies. */
  program: { etype?: string; action?: string; code?: string; 'display-code'?: string };
  bindings?: { data?: any; 'new-data'?: any; 'rule-params'?: any; 'modified-fields'?: string[] };
  /** The rule's raw result. */
  'check-result': any;
  'check-pass?': boolean;
}

/** What `debugTransact` resolves: the server's answer as is, as in @instantdb/admin. */
export interface DebugTransactResult {
  /** The transaction's id, also for the dry run (rolled back). */
  'tx-id': number;
  'all-checks-ok?': boolean;
  /** `false`: nothing was written. */
  'committed?'?: boolean;
  'check-results'?: DebugTransactCheckResult[];
}

export interface InstantAdminDatabase {
  readonly tx: TxChunk;
  readonly auth: Auth;
  readonly storage: Storage;
  readonly rooms: {
    /** The sessions present in a room, by session id (`{}` when empty). */
    getPresence(roomType: string, roomId: string): Promise<Record<string, { 'peer-id': string; user: User | null; data: unknown }>>;
  };
  /** A live query: `callback` gets every payload; or iterate with `for await`. Throws on a bad query. */
  subscribeQuery<R = any>(
    query: Record<string, unknown>,
    callback?: (payload: SubscriptionPayload<R>) => void,
    opts?: { ruleParams?: Record<string, unknown> },
  ): Subscription<R>;
  /** Runs an InstaQL query. */
  query<R = any>(query: Record<string, unknown>, opts?: QueryOptions): Promise<R>;
  /** Applies chunks as one transaction; resolves `{ "tx-id": number }`. */
  transact(chunks: TransactionChunk | TransactionChunk[], opts?: CallOptions): Promise<{ 'tx-id': number }>;
  /**
   * Runs a query as the `asUser` user and answers every permission check with the result.
   * Needs `asUser` (the server answers 400 otherwise) and the admin token.
   *
   * ```ts
   * const { result, checkResults } = await db.asUser({ guest: true }).debugQuery(
   *   { goals: {} },
   *   { rules: { goals: { allow: { view: 'auth.id != null' } } } },
   * );
   * ```
   */
  debugQuery<R = any>(query: Record<string, unknown>, opts?: DebugQueryOptions): Promise<{ result: R; checkResults: DebugCheckResult[] }>;
  /**
   * Runs a transaction as the `asUser` user, rolled back, and answers every permission check.
   * Needs `asUser` and the admin token.
   *
   * ```ts
   * const checked = await db.asUser({ guest: true }).debugTransact(
   *   [db.tx.goals[id()].update({ title: 'Get fit' })],
   *   { rules: { goals: { allow: { create: 'auth.id != null' } } } },
   * );
   * console.log(checked['all-checks-ok?']);
   * ```
   */
  debugTransact(chunks: TransactionChunk | TransactionChunk[], opts?: DebugTransactOptions): Promise<DebugTransactResult>;
  /** A database handle acting as a user or a guest (permission rules apply). */
  asUser(opts: ImpersonationOpts): InstantAdminDatabase;
}

export type ErrorKind = 'api' | 'network' | 'timeout' | 'aborted' | 'decode' | 'invalid-argument';

/** The base of InstantAPIError, as in @instantdb/admin. */
export declare class InstantError extends Error {
  readonly hint?: unknown;
  readonly traceId?: string;
  constructor(message: string, hint?: unknown, traceId?: string);
}

/** Thrown (synchronously) by `query` / `subscribeQuery` when the schema refuses the query; message as @instantdb/admin's. */
export declare class QueryValidationError extends Error {
  readonly name: 'QueryValidationError';
  constructor(message: string, path?: string);
}

/** Thrown (synchronously) by `transact` when the schema refuses a step; message as @instantdb/admin's. */
export declare class TransactionValidationError extends Error {
  readonly name: 'TransactionValidationError';
  constructor(message: string);
}

/** Every rejection: compatible with @instantdb/admin's InstantAPIError, plus `kind`. */
export declare class InstantAPIError extends InstantError {
  readonly name: 'InstantAPIError';
  readonly kind: ErrorKind;
  /** HTTP status, 0 when the server never answered. */
  readonly status: number;
  /** The parsed error body (`{ type, message, hint, 'trace-id' }` from the server). */
  readonly body: { type?: string | null; message: string; [key: string]: unknown };
  readonly hint?: unknown;
  readonly traceId?: string;
  /** As in @instantdb/admin: `message` is `body.message`, `hint` and `traceId` come from the body. */
  constructor(error: { status: number; body: { message?: string; [key: string]: unknown } });
}

export declare function init(config?: InstantConfig): InstantAdminDatabase;
export declare const tx: TxChunk;
/** A new entity id (UUID v4). */
export declare function id(): string;
/** `lookup__attr__json`: names an entity by a unique attribute, as an id or a link target. */
export declare function lookup(attribute: string, value: JSONValue): string;
