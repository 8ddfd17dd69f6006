// Types for instant-edge: the @instantdb/admin names and shapes. The `i` schema builder is typed,
// and `init({ schema })` types queries, results and transactions by the schema (the end of this file).

/** A JSON value as queries, steps and results carry it. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export interface InstantConfig {
  /** The app id (a UUID). Falls back to INSTANT_APP_ID in Node, Deno and Bun. */
  appId?: string;
  /** The admin token. Falls back to INSTANT_APP_ADMIN_TOKEN. Never logged, never put in URLs. */
  adminToken?: string;
  /** The API base. Falls back to INSTANT_API_URI, then (with a warning) https://api.instantdb.com. */
  apiURI?: string;
  /**
   * The app's schema (`i.schema(...)` or its JSON): queries and transactions are checked against
   * it before they are sent (throwing QueryValidationError / TransactionValidationError), and
   * `inference?` / `throw-on-missing-attrs?` are sent as true, as @instantdb/admin does.
   */
  schema?: unknown;
  /** With a schema: check nothing here (the server-side flags are still sent). */
  disableValidation?: boolean;
  /**
   * `true`: `i.date()` attributes are `Date` objects in query and subscription results (typed so
   * when `init` gets a schema); otherwise they are what the server sends (an ISO string or epoch ms).
   */
  useDateObjects?: boolean;
  /** Default per-call timeout in ms (default 30000; 0 = none). */
  timeout?: number;
  /** Retries of queries on network errors, 408, 429 and 5xx (default 3). */
  retries?: number;
  /** `true`: `logger.info` gets a line for each request sent and answered, each retry wait and
   * each live-query open, drop and close (method and path only: never a header or a body). */
  verbose?: boolean;
  /** Where `verbose` lines go (default `console`). */
  logger?: Logger;
}

/** `init`'s `logger`, as @instantdb/admin's. */
export interface Logger {
  info: (...args: any[]) => void;
  debug: (...args: any[]) => void;
  error: (...args: any[]) => void;
}

/** Turns the package's warnings (each printed once with `console.warn`) off or on. */
export declare function setInstantWarningsEnabled(enabled: boolean): void;

/** Per-call options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the default timeout for this call (ms; 0 = none). */
  timeout?: number;
}

/** `fetchOpts` of the data calls (query, subscribeQuery, transact, debugQuery, debugTransact):
 * `headers` are added to the request (a header the client sets itself — the admin token,
 * impersonation, app id, content type — is refused with an `InstantAPIError`, never replaced),
 * `signal` applies when the options have none, the rest goes to every `fetch` of the call. */
export interface FetchOptions {
  fetchOpts?: Omit<RequestInit, 'method' | 'body'> & { method?: never; body?: never; [key: string]: unknown };
}

export interface QueryOptions extends CallOptions, FetchOptions {
  /** Rule params for permission rules (sent as `$$ruleParams` inside the query). */
  ruleParams?: Record<string, JSONValue>;
}

export type ImpersonationOpts = { email: string } | { token: string } | { guest: true };

export type Op = [action: string, etype: string, id: string | [string, JSONValue], args?: unknown, opts?: UpdateOpts];

export interface UpdateOpts {
  /** `false`: the entity must exist already. */
  upsert?: boolean;
}

/**
 * A link map: label → id, lookup string, or arrays of them. With a schema, only the entity's
 * link labels, and one id for a has-one link.
 */
export type LinkParams<Schema extends SchemaLike = InstantUnknownSchema, EntityName extends keyof Schema['entities'] = keyof Schema['entities']> =
  IsUntyped<Schema> extends true ? Record<string, string | string[] | Record<string, JSONValue>> : TypedLinkParams<Schema, EntityName>;

/** The steps on one entity; typed by the schema's attributes and links when `db` has one. */
export interface TransactionChunk<
  Schema extends SchemaLike = InstantUnknownSchema,
  EntityName extends keyof Schema['entities'] = Extract<keyof Schema['entities'], string>,
> {
  readonly __ops: Op[];
  readonly __etype: EntityName;
  create(args: CreateParams<Schema, EntityName>): TransactionChunk<Schema, EntityName>;
  update(args: UpdateParams<Schema, EntityName>, opts?: UpdateOpts): TransactionChunk<Schema, EntityName>;
  /** As `update`, but object values are merged deeply into the stored ones. */
  merge(args: MergeParams<Schema, EntityName>, opts?: UpdateOpts): TransactionChunk<Schema, EntityName>;
  link(args: LinkParams<Schema, EntityName>): TransactionChunk<Schema, EntityName>;
  unlink(args: LinkParams<Schema, EntityName>): TransactionChunk<Schema, EntityName>;
  delete(): TransactionChunk<Schema, EntityName>;
  ruleParams(args: Record<string, JSONValue>): TransactionChunk<Schema, EntityName>;
}

export type ETypeChunk<
  Schema extends SchemaLike = InstantUnknownSchema,
  EntityName extends keyof Schema['entities'] = Extract<keyof Schema['entities'], string>,
> = { [id: string]: TransactionChunk<Schema, EntityName> } & {
  lookup: IsUntyped<Schema> extends true
    ? (attribute: string, value: JSONValue) => TransactionChunk<Schema, EntityName>
    : <Attr extends UniqueAttrs<Schema['entities'][EntityName]['attrs']>>(
        attribute: Attr,
        value: WriteValue<ValueOf<Schema['entities'][EntityName]['attrs'][Attr]>>,
      ) => TransactionChunk<Schema, EntityName>;
};

/** `tx` / `db.tx`: one `ETypeChunk` per namespace (only the schema's, when `db` has one). */
export type TxChunk<Schema extends SchemaLike = InstantUnknownSchema> = IsUntyped<Schema> extends true
  ? { [etype: string]: ETypeChunk }
  : { [EntityName in keyof Schema['entities']]: ETypeChunk<Schema, EntityName> };

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
export interface DebugQueryOptions extends CallOptions, FetchOptions {
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
export interface DebugTransactOptions extends CallOptions, FetchOptions {
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

/** A webhook as `db.webhooks.manager` answers it (`WebhookInfo`). */
export interface WebhookInfo {
  id: string;
  sink: { url: string };
  namespaces: string[];
  actions: WebhookAction[];
  status: 'active' | 'disabled';
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}
export type WebhookAction = 'create' | 'update' | 'delete';
export type WebhookEventStatus = 'pending' | 'processing' | 'success' | 'error' | 'failed';
export interface WebhookAttempt {
  attemptAt: Date | null;
  durationMs: number | null;
  success: boolean | null;
  statusCode: number | null;
  responseText: string | null;
  errorType: string | null;
  errorMessage: string | null;
}
export interface WebhookEventInfo {
  isn: string;
  status: WebhookEventStatus;
  attempts: WebhookAttempt[] | null;
  nextAttemptAfter: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
export interface WebhookEventsPage {
  events: WebhookEventInfo[];
  pageInfo: { startCursor: string | null; endCursor: string | null; hasNextPage: boolean };
}
/** A verified delivery's body. */
export interface WebhookBody {
  payloadUrl: string;
  token: string;
}
export interface WebhookPayloadRecord {
  namespace: string;
  id: string;
  action: WebhookAction;
  before: Record<string, any> | null;
  after: Record<string, any> | null;
  idempotencyKey: string;
}
export interface WebhookPayload {
  data: WebhookPayloadRecord[];
  idempotencyKey: string;
}
export type WebhookHandlerFn = (record: WebhookPayloadRecord) => unknown;
export type WebhookHandlers = { $default?: WebhookHandlerFn } & {
  [namespace: string]: WebhookHandlerFn | Partial<Record<WebhookAction | '$default', WebhookHandlerFn>> | undefined;
};
export interface WebhookValidateOptions {
  /** When the delivery arrived (default: now). */
  receivedAt?: Date | null;
  /** How old `t` may be, in seconds (default 300). */
  tolerance?: number | null;
}
/**
 * `db.webhooks`, as in @instantdb/admin 1.0.67: the manager and the receiver. Refusals are
 * `InstantError`s with the official messages. Signing keys come from
 * `<apiURI>/.well-known/webhooks/jwks.json` and are kept per (apiURI, kid) for the process.
 */
export interface Webhooks {
  readonly manager: {
    list(): Promise<WebhookInfo[]>;
    create(params: { url: string; namespaces: string[]; actions: WebhookAction[] }): Promise<WebhookInfo>;
    update(webhookId: string, params: { url?: string; namespaces?: string[]; actions?: WebhookAction[] }): Promise<WebhookInfo>;
    delete(webhookId: string): Promise<WebhookInfo>;
    enable(webhookId: string): Promise<WebhookInfo>;
    disable(webhookId: string, opts?: { reason?: string | null } | null): Promise<WebhookInfo>;
    listEvents(webhookId: string, opts?: { after?: string | null } | null): Promise<WebhookEventsPage>;
    getEvent(webhookId: string, isn: string): Promise<WebhookEventInfo>;
    getPayload(webhookId: string, isn: string): Promise<WebhookPayload>;
    resendEvent(webhookId: string, isn: string): Promise<WebhookEventInfo>;
  };
  fetchJwks(): Promise<{ keys: Array<Record<string, string>> }>;
  validate(signatureHeader: string, body: string | (() => string | Promise<string>), opts?: WebhookValidateOptions | null): Promise<WebhookBody>;
  validateRequest(req: Request, opts?: WebhookValidateOptions | null): Promise<WebhookBody>;
  fetchPayloads(body: WebhookBody): Promise<WebhookPayload>;
  processPayload(handlers: WebhookHandlers, payload: WebhookPayload): Promise<void>;
  processRequest(handlers: WebhookHandlers, req: Request, opts?: WebhookValidateOptions | null): Promise<void>;
  helpers(): {
    typedHandlers(namespace: '$default', handler: WebhookHandlerFn): WebhookHandlers;
    typedHandlers(namespace: string, action: WebhookAction | '$default', handler: WebhookHandlerFn): WebhookHandlers;
    combineHandlers(...entries: WebhookHandlers[]): WebhookHandlers;
  };
}

/** The database `init` returns without a schema: queries and steps are not checked by types. */
/** A `WritableStream<string>` of `db.streams.createWriteStream`; `close()` resolves once the server confirmed the end. */
export interface InstantWritableStream<T = string> extends WritableStream<T> {
  /** The server's stream id, once the stream started; rejects with the stream's error. */
  streamId(): Promise<string>;
}

/** A `ReadableStream<string>` of `db.streams.createReadStream`; an aborted stream errors with the abort reason as the message. */
export interface InstantReadableStream<T = string> extends ReadableStream<T> {
  /** The server's stream id, from the first data; rejects with `Stream is closed.` if it ends first. */
  streamId(): Promise<string>;
}

export interface CreateWriteStreamOptions {
  /** Your name for the stream (unique per app). */
  clientId: string;
  /** Called once with a promise that settles when the stream is finished (keeps a serverless function alive). */
  waitUntil?: (promise: Promise<any>) => void;
  ruleParams?: Record<string, any>;
}

/** One of `streamId` or `clientId` is required. */
export interface CreateReadStreamOptions {
  clientId?: string;
  streamId?: string;
  /** Start at this UTF-8 byte offset (default 0). */
  byteOffset?: number;
  ruleParams?: Record<string, any>;
}

export interface Streams {
  createWriteStream(opts: CreateWriteStreamOptions): InstantWritableStream<string>;
  createReadStream(opts: CreateReadStreamOptions): InstantReadableStream<string>;
}

export interface UntypedAdminDatabase {
  readonly tx: TxChunk;
  readonly auth: Auth;
  readonly storage: Storage;
  readonly webhooks: Webhooks;
  /** Durable text streams (`db.streams`), as @instantdb/admin's. */
  readonly streams: Streams;
  readonly rooms: {
    /** The sessions present in a room, by session id (`{}` when empty). */
    getPresence(roomType: string, roomId: string): Promise<Record<string, { 'peer-id': string; user: User | null; data: unknown }>>;
  };
  /** A live query: `callback` gets every payload; or iterate with `for await`. Throws on a bad query. */
  subscribeQuery<R = any>(
    query: Record<string, unknown>,
    callback?: (payload: SubscriptionPayload<R>) => void,
    opts?: { ruleParams?: Record<string, unknown>; signal?: AbortSignal } & FetchOptions,
  ): Subscription<R>;
  /** Runs an InstaQL query. */
  query<R = any>(query: Record<string, unknown>, opts?: QueryOptions): Promise<R>;
  /** Applies chunks as one transaction; resolves `{ "tx-id": number }`. */
  transact(chunks: TransactionChunk<any, any> | TransactionChunk<any, any>[], opts?: CallOptions & FetchOptions): Promise<{ 'tx-id': number }>;
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
  debugTransact(chunks: TransactionChunk<any, any> | TransactionChunk<any, any>[], opts?: DebugTransactOptions): Promise<DebugTransactResult>;
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

/**
 * A database handle. With `schema` (`i.schema(...)`), queries, their results and transaction
 * steps are typed by it; `useDateObjects: true` types `i.date()` attributes as `Date` in results.
 */
export declare function init<Schema extends InstantSchemaDef<any, any, any>, UseDates extends boolean = false>(
  config: InstantConfig & { schema: Schema; useDateObjects?: UseDates },
): InstantAdminDatabase<Schema, UseDates>;
export declare function init(config?: InstantConfig): InstantAdminDatabase;
export declare const tx: TxChunk;
/** A new entity id (UUID v4). */
export declare function id(): string;
/** `lookup__attr__json`: names an entity by a unique attribute, as an id or a link target. */
export declare function lookup(attribute: string, value: JSONValue): string;

// The schema builder, `i`: the names of @instantdb/admin's schema types.

/** An attribute's type as the schema JSON names it (`i.any()` and `i.json()` are both `json`). */
export type ValueTypes = 'string' | 'number' | 'boolean' | 'date' | 'json';
export type CardinalityKind = 'one' | 'many';
/** `true`: required; `false`: optional. */
export type RequirementKind = true | false;

/** An attribute: `i.string()`, `i.number()`, ... and their modifiers (each returns a new def). */
export interface DataAttrDef<ValueType, IsRequired extends RequirementKind, IsIndexed extends boolean, IsUnique extends boolean = false> {
  valueType: ValueTypes;
  required: IsRequired;
  isIndexed: IsIndexed;
  config: { indexed: boolean; unique: boolean };
  metadata: Record<string, unknown>;
  /** Not required in the database (`required: false`), yet typed as required. @deprecated as in @instantdb/admin */
  clientRequired(): DataAttrDef<ValueType, true, IsIndexed, IsUnique>;
  optional(): DataAttrDef<ValueType, false, IsIndexed, IsUnique>;
  unique(): DataAttrDef<ValueType, IsRequired, IsIndexed, true>;
  indexed(): DataAttrDef<ValueType, IsRequired, true, IsUnique>;
}

/** One end of a link as an entity sees it: the other entity and how many of them. */
export interface LinkAttrDef<Cardinality extends CardinalityKind, EntityName extends string> {
  cardinality: Cardinality;
  entityName: EntityName;
}

export type AttrsDefs = Record<string, DataAttrDef<any, any, any, boolean>>;

/** An entity: its attributes and (in a schema) the links of both ends. */
export interface EntityDef<Attrs extends AttrsDefs, Links extends Record<string, LinkAttrDef<any, any>>, AsType> {
  attrs: Attrs;
  links: Links;
  /** The same entity, typed as `T` where it is read. */
  asType<T>(): EntityDef<Attrs, Links, T>;
}

export type EntitiesDef = Record<string, EntityDef<any, any, any>>;

/** A link between two entities, named by its forward and reverse labels. */
export interface LinkDef<
  Entities extends EntitiesDef,
  FwdEntity extends keyof Entities,
  FwdAttr extends string,
  FwdCardinality extends CardinalityKind,
  RevEntity extends keyof Entities,
  RevAttr extends string,
  RevCardinality extends CardinalityKind,
> {
  forward: { on: FwdEntity; label: FwdAttr; has: FwdCardinality; required?: RequirementKind; onDelete?: 'cascade' };
  reverse: { on: RevEntity; label: RevAttr; has: RevCardinality; onDelete?: 'cascade' };
}

export type LinksDef<Entities extends EntitiesDef> = Record<
  string,
  LinkDef<Entities, keyof Entities, string, CardinalityKind, keyof Entities, string, CardinalityKind>
>;

/** The links an entity gets from one end (`from`) of every link that starts there (`on`). */
type LinksAt<Links, Name, From extends 'forward' | 'reverse', To extends 'forward' | 'reverse'> = {
  [K in keyof Links as Links[K] extends { [F in From]: { on: Name; label: infer Label extends string } } ? Label : never]: Links[K] extends {
    [F in From]: { has: infer Has extends CardinalityKind };
  } & { [T in To]: { on: infer Other extends string } }
    ? LinkAttrDef<Has, Other>
    : never;
};

/** The entities of a schema, each with the links of both ends (forward labels, then reverse). */
export type EntitiesWithLinks<Entities extends EntitiesDef, Links extends LinksDef<Entities>> = {
  [Name in keyof Entities]: EntityDef<
    Entities[Name]['attrs'],
    string extends keyof Links ? {} : LinksAt<Links, Name, 'forward', 'reverse'> & LinksAt<Links, Name, 'reverse', 'forward'>,
    Entities[Name] extends EntityDef<any, any, infer AsType> ? AsType : void
  >;
};

/** A room: the shape of its presence and of each topic's messages. */
export interface RoomsDef {
  [roomType: string]: { presence: EntityDef<any, any, any>; topics?: { [topic: string]: EntityDef<any, any, any> } };
}

/** What `i.schema(...)` returns; `JSON.stringify` gives the schema JSON the platform API takes. */
export interface InstantSchemaDef<Entities extends EntitiesDef, Links extends LinksDef<Entities>, Rooms extends RoomsDef> {
  entities: Entities;
  links: Links;
  rooms: Rooms;
  /** The same schema with `rooms: {}`. @deprecated as in @instantdb/admin: give `rooms` to `i.schema`. */
  withRoomSchema<_RoomSchema = unknown>(): InstantSchemaDef<Entities, Links, {}>;
}

/** The schema builder of @instantdb/admin, with the same JSON. */
export declare const i: {
  /** A schema: entities, the links between them, presence rooms. */
  schema<Entities extends EntitiesDef, const Links extends LinksDef<Entities>, Rooms extends RoomsDef = {}>(def: {
    entities: Entities;
    links?: Links;
    rooms?: Rooms;
  }): InstantSchemaDef<EntitiesWithLinks<Entities, Links>, LinksDef<any>, Rooms>;
  /** @deprecated as in @instantdb/admin: use `i.schema({ entities, links })`. Its `rooms` is `undefined`. */
  graph<Entities extends EntitiesDef, const Links extends LinksDef<Entities>>(
    entities: Entities,
    links: Links,
  ): InstantSchemaDef<EntitiesWithLinks<Entities, Links>, LinksDef<any>, RoomsDef>;
  entity<Attrs extends AttrsDefs>(attrs: Attrs): EntityDef<Attrs, {}, void>;
  string<StringEnum extends string = string>(): DataAttrDef<StringEnum, true, false>;
  number(): DataAttrDef<number, true, false>;
  boolean(): DataAttrDef<boolean, true, false>;
  /** A date: a `Date`, an ISO string or epoch milliseconds when written. */
  date(): DataAttrDef<Date, true, false>;
  json<T = any>(): DataAttrDef<T, true, false>;
  /** Any JSON value (`valueType: 'json'`, as `i.json()`). */
  any(): DataAttrDef<any, true, false>;
};

// Typed by a schema: `init({ schema })` returns an `InstantAdminDatabase<Schema, UseDates>`
// whose `query`, `subscribeQuery`, `debugQuery`, `tx` and `asUser` follow the schema. The
// exported helpers carry @instantdb/admin's names and type parameters.

/** Anything with entities and links: `i.schema(...)`, `i.graph(...)`. */
type SchemaLike = { entities: any; links: any };

type IsAny<T> = 0 extends 1 & T ? true : false;

/** `true` when the schema names no entity (no schema, `any`, or `InstantUnknownSchema`). */
type IsUntyped<Schema> = IsAny<Schema> extends true
  ? true
  : Schema extends { entities: infer Entities }
    ? string extends keyof Entities ? true : false
    : true;

/** An entity of a schema that names none: any attribute, any link. */
export type UnknownEntity = EntityDef<
  { [attribute: string]: DataAttrDef<any, boolean, boolean, boolean> },
  { [label: string]: LinkAttrDef<'many', string> },
  void
>;

/** The schema of a database `init` got none for. */
export interface InstantUnknownSchemaDef extends InstantSchemaDef<{ [entity: string]: UnknownEntity }, LinksDef<any>, RoomsDef> {}
export type InstantUnknownSchema = InstantUnknownSchemaDef;

/** The value type an attribute was declared with (`i.string<'a' | 'b'>()` → `'a' | 'b'`). */
type ValueOf<Attr> = Attr extends DataAttrDef<infer Value, any, any, any> ? Value : never;

/** An attribute's value in a result: dates as sent (string or epoch ms) unless `UseDates`. */
type ReadValue<Value, UseDates extends boolean> = IsAny<Value> extends true
  ? any
  : [Value] extends [Date]
    ? UseDates extends true ? Date : string | number
    : Value;

/** An attribute's value in a step: a date may be a `Date`, an ISO string or epoch ms. */
type WriteValue<Value> = IsAny<Value> extends true ? any : [Value] extends [Date] ? Date | string | number : Value;

type RequiredAttrs<Attrs> = { [A in keyof Attrs]: Attrs[A] extends { required: true } ? A : never }[keyof Attrs];
type OptionalAttrs<Attrs> = Exclude<keyof Attrs, RequiredAttrs<Attrs>>;
type IndexedAttrs<Attrs> = { [A in keyof Attrs]: Attrs[A] extends { isIndexed: true } ? A : never }[keyof Attrs];
// (Inferred: `IsUnique` shows in no property, so `extends DataAttrDef<any, any, any, true>` would not tell.)
type UniqueAttrs<Attrs> = { [A in keyof Attrs]: Attrs[A] extends DataAttrDef<any, any, any, infer IsUnique> ? (IsUnique extends true ? A : never) : never }[keyof Attrs];

/** Required attributes as `name: T`, optional ones as `name?: T`. */
type AttrValues<Attrs, UseDates extends boolean> = {
  [A in RequiredAttrs<Attrs>]: ReadValue<ValueOf<Attrs[A]>, UseDates>;
} & {
  [A in OptionalAttrs<Attrs>]?: ReadValue<ValueOf<Attrs[A]>, UseDates>;
};

/** An entity's attributes as results carry them, `asType<T>()` applied. */
type EntityValues<Entity, UseDates extends boolean> = Entity extends EntityDef<infer Attrs, any, infer AsType>
  ? [AsType] extends [void]
    ? AttrValues<Attrs, UseDates>
    : Omit<AttrValues<Attrs, UseDates>, keyof AsType> & AsType
  : never;

/** The attributes of `Entities[EntityName]` as a result holds them. */
export type ResolveAttrs<Entities extends EntitiesDef, EntityName extends keyof Entities, UseDates extends boolean = false> = Flatten<
  EntityValues<Entities[EntityName], UseDates>
>;

type Flatten<T> = T extends Date | Function ? T : { [K in keyof T]: T[K] };

type AttrsOf<Schema extends SchemaLike, EntityName> = EntityName extends keyof Schema['entities'] ? Schema['entities'][EntityName]['attrs'] : never;
type LinksOf<Schema extends SchemaLike, EntityName> = EntityName extends keyof Schema['entities'] ? Schema['entities'][EntityName]['links'] : never;
type TargetOf<Schema extends SchemaLike, EntityName, Label> = LinksOf<Schema, EntityName>[Label & keyof LinksOf<Schema, EntityName>] extends LinkAttrDef<any, infer Target>
  ? Target
  : never;
type Get<T, K> = T extends object ? (K extends keyof T ? T[K] : undefined) : undefined;

/** The attribute names `fields` may list, plus `id`. */
export type InstaQLFields<Schema extends SchemaLike, EntityName extends keyof Schema['entities']> = (
  | Extract<keyof EntityValues<Schema['entities'][EntityName], false>, string>
  | 'id'
)[];

/**
 * Only the attributes `fields` names (all of them without `fields`); as in @instantdb/admin, a
 * picked optional attribute is a key typed `T | undefined`.
 */
type PickFields<Values, Fields> = Fields extends readonly string[]
  ? Values extends any
    ? { [A in Exclude<Fields[number], 'id'>]: A extends keyof Values ? Values[A] : never }
    : never
  : Values;

type FieldsIn<Node> = Node extends { $: { fields: infer Fields } } ? Fields : undefined;

/** One entity of a result: `id`, its (picked) attributes, and the links the node asked for. */
type EntityResult<Schema extends SchemaLike, EntityName, Node, Fields, UseDates extends boolean, OneAsObject extends boolean> = Flatten<
  { id: string } & PickFields<EntityValues<Schema['entities'][EntityName & keyof Schema['entities']], UseDates>, Fields> & {
    [Label in Exclude<keyof Node, '$'> & keyof LinksOf<Schema, EntityName>]: LinksOf<Schema, EntityName>[Label] extends LinkAttrDef<
      infer Cardinality,
      infer Target
    >
      ? [Cardinality, OneAsObject] extends ['one', true]
        ? EntityResult<Schema, Target, Node[Label], FieldsIn<Node[Label]>, UseDates, OneAsObject> | undefined
        : EntityResult<Schema, Target, Node[Label], FieldsIn<Node[Label]>, UseDates, OneAsObject>[]
      : never;
  }
>;

type QueryResult<Schema extends SchemaLike, Q, UseDates extends boolean, OneAsObject extends boolean = true> = {
  [EntityName in keyof Q]: EntityName extends keyof Schema['entities']
    ? EntityResult<Schema, EntityName, Q[EntityName], FieldsIn<Q[EntityName]>, UseDates, OneAsObject>[]
    : never;
};

/**
 * One entity as a query returns it: `InstaQLEntity<typeof schema, 'goals', { todos: {} }>` is a
 * goal with its todos. Has-one links are an object or `undefined`, has-many links an array.
 */
export type InstaQLEntity<
  Schema extends SchemaLike,
  EntityName extends keyof Schema['entities'],
  Subquery extends InstaQLEntitySubquery<Schema, EntityName> | undefined = {},
  Fields extends InstaQLFields<Schema, EntityName> | undefined = undefined,
  UseDates extends boolean = false,
> = EntityResult<Schema, EntityName, Subquery, Fields, UseDates, true>;

/** The result of query `Q`: `InstaQLResult<typeof schema, typeof query>`. */
export type InstaQLResult<Schema extends SchemaLike, Q extends InstaQLParams<Schema> | undefined, UseDates extends boolean = false> = QueryResult<
  Schema,
  Q,
  UseDates
>;

/** What `db.query(q)` resolves with a schema (`never` for what is not a query of it). */
export type InstaQLResponse<Schema, Q, UseDates extends boolean = false> = Schema extends SchemaLike
  ? Q extends InstaQLParams<Schema> | undefined
    ? QueryResult<Schema, Q, UseDates>
    : never
  : never;

type Direction = 'asc' | 'desc';
/** A page cursor: `pageInfo[ns].endCursor` / `startCursor` as the server sent it. */
type Cursor = unknown[];

/** `$.order`: indexed attributes and `serverCreatedAt`. */
type Order<Schema extends SchemaLike, EntityName> = { [A in IndexedAttrs<AttrsOf<Schema, EntityName>>]?: Direction } & {
  serverCreatedAt?: Direction;
};

type IdAttr = DataAttrDef<string, false, true, false>;

/** A value `where` compares an attribute with, or an operator object. */
type WhereValue<Attr> = Attr extends DataAttrDef<infer Value, infer Required, infer Indexed, any>
  ? IsAny<Value> extends true
    ? any
    : WhereScalar<Value> | WhereOperators<WhereScalar<Value>, Value, Required, Indexed>
  : never;
type WhereScalar<Value> = [Value] extends [Date] ? Date | string | number : Value;
type WhereOperators<Scalar, Value, Required, Indexed> = {
  $in?: Scalar[];
  /** @deprecated as in @instantdb/admin: use `$in`. */
  in?: Scalar[];
  $ne?: Scalar;
  /** @deprecated as in @instantdb/admin: use `$ne`. */
  $not?: Scalar;
  $gt?: Scalar;
  $gte?: Scalar;
  $lt?: Scalar;
  $lte?: Scalar;
} & ([Value] extends [string] ? { $like?: string } & (Indexed extends true ? { $ilike?: string } : {}) : {}) &
  (Required extends false ? { $isNull?: boolean } : {});

/** The attribute a `where` key names: an attribute, `id`, a link (its id) or a dotted link path. */
type WherePathAttr<Schema extends SchemaLike, EntityName, Path> = Path extends 'id'
  ? IdAttr
  : Path extends keyof AttrsOf<Schema, EntityName>
    ? AttrsOf<Schema, EntityName>[Path]
    : Path extends keyof LinksOf<Schema, EntityName>
      ? IdAttr
      : Path extends `${infer Label}.${infer Rest}`
        ? Label extends keyof LinksOf<Schema, EntityName>
          ? WherePathAttr<Schema, TargetOf<Schema, EntityName, Label>, Rest>
          : never
        : never;

/** `$.where` of a typed query, checked key by key against the schema. */
type ValidWhere<Where, Schema extends SchemaLike, EntityName> = Where extends undefined
  ? undefined
  : {
      [Key in keyof Where]: Key extends 'and' | 'or'
        ? Where[Key] extends readonly (infer Clause)[]
          ? ValidWhere<Clause, Schema, EntityName>[]
          : never
        : WhereValue<WherePathAttr<Schema, EntityName, Key>>;
    };

/** `$.where` for `InstaQLParams` (dotted paths are not checked there). */
type WhereParams<Schema extends SchemaLike, EntityName> = {
  [A in keyof AttrsOf<Schema, EntityName>]?: WhereValue<AttrsOf<Schema, EntityName>[A]>;
} & { [Label in keyof LinksOf<Schema, EntityName>]?: WhereValue<IdAttr> } & {
  id?: WhereValue<IdAttr>;
  and?: WhereParams<Schema, EntityName>[];
  or?: WhereParams<Schema, EntityName>[];
  [path: `${string}.${string}`]: any;
};

type PageParams = {
  first?: number;
  last?: number;
  offset?: number;
  after?: Cursor;
  afterInclusive?: boolean;
  before?: Cursor;
  beforeInclusive?: boolean;
};

type Dollar<Schema extends SchemaLike, EntityName> = {
  $?: {
    where?: WhereParams<Schema, EntityName>;
    fields?: InstaQLFields<Schema, EntityName & keyof Schema['entities']>;
    order?: Order<Schema, EntityName>;
    limit?: number;
  } & PageParams;
};

type NodeParams<Schema extends SchemaLike, EntityName> = Dollar<Schema, EntityName> & {
  [Label in keyof LinksOf<Schema, EntityName>]?: NodeParams<Schema, TargetOf<Schema, EntityName, Label>>;
};

/** Any query of the schema: `const q = { goals: { todos: {} } } satisfies InstaQLParams<typeof schema>`. */
export type InstaQLParams<Schema extends SchemaLike> = {
  [EntityName in keyof Schema['entities']]?: NodeParams<Schema, EntityName>;
};

/** The links one may ask for under an entity. */
export type InstaQLEntitySubquery<Schema extends SchemaLike, EntityName extends keyof Schema['entities']> = {
  [Label in keyof LinksOf<Schema, EntityName>]?: NodeParams<Schema, TargetOf<Schema, EntityName, Label>>;
};

type ValidDollar<Input, Schema extends SchemaLike, EntityName, TopLevel extends boolean> = keyof Input extends
  | 'where'
  | 'fields'
  | 'order'
  | 'limit'
  | (TopLevel extends true ? keyof PageParams : never)
  ? {
      where?: ValidWhere<Get<Input, 'where'>, Schema, EntityName>;
      fields?: InstaQLFields<Schema, EntityName & keyof Schema['entities']>;
      order?: Order<Schema, EntityName>;
      limit?: number;
    } & (TopLevel extends true ? PageParams : {})
  : never;

type ValidNode<Node, Schema extends SchemaLike, EntityName, TopLevel extends boolean> = keyof Node extends keyof LinksOf<Schema, EntityName> | '$'
  ? { $?: ValidDollar<Get<Node, '$'>, Schema, EntityName, TopLevel> } & {
      [Label in keyof LinksOf<Schema, EntityName>]?: ValidNode<Get<Node, Label>, Schema, TargetOf<Schema, EntityName, Label>, false>;
    }
  : never;

/**
 * The query `Q` checked against the schema: namespaces, link labels, `$` keys, `fields`,
 * `order` on indexed attributes, and `where` keys (dotted link paths included) with their values.
 */
export type ValidQuery<Q extends Record<string, any>, Schema extends SchemaLike> = IsUntyped<Schema> extends true
  ? InstaQLParams<Schema>
  : keyof Q extends keyof Schema['entities']
    ? { [EntityName in keyof Schema['entities']]?: ValidNode<Get<Q, EntityName>, Schema, EntityName, true> }
    : never;

/** An untyped query, as `db.query` takes it without a schema. */
export type Query = Record<string, unknown>;
/** An entity of an untyped result. */
export type InstantObject = { id: string; [attribute: string]: any };

/** `update`'s attributes: optional ones may be `null` (removes the value). */
export type UpdateParams<Schema extends SchemaLike, EntityName extends keyof Schema['entities']> = IsUntyped<Schema> extends true
  ? Record<string, unknown>
  : {
      [A in keyof AttrsOf<Schema, EntityName>]?: AttrsOf<Schema, EntityName>[A] extends { required: true }
        ? WriteValue<ValueOf<AttrsOf<Schema, EntityName>[A]>>
        : WriteValue<ValueOf<AttrsOf<Schema, EntityName>[A]>> | null;
    };

/** `create`'s attributes: every required attribute, optional ones may be left out or `null`. */
export type CreateParams<Schema extends SchemaLike, EntityName extends keyof Schema['entities']> = IsUntyped<Schema> extends true
  ? Record<string, unknown>
  : {
      [A in RequiredAttrs<AttrsOf<Schema, EntityName>>]: WriteValue<ValueOf<AttrsOf<Schema, EntityName>[A]>>;
    } & {
      [A in OptionalAttrs<AttrsOf<Schema, EntityName>>]?: WriteValue<ValueOf<AttrsOf<Schema, EntityName>[A]>> | null;
    };

/**
 * `merge`'s attributes: any object, as in `@instantdb/admin` (its `merge` is not checked against
 * the schema, and code that compiles there must compile here: a deep merge of a `json` attribute
 * is often partial or open-ended).
 */
type MergeParams<Schema extends SchemaLike, EntityName extends keyof Schema['entities']> = { [attr: string]: any };

type TypedLinkParams<Schema extends SchemaLike, EntityName> = {
  [Label in keyof LinksOf<Schema, EntityName>]?: LinksOf<Schema, EntityName>[Label] extends LinkAttrDef<'one', any> ? string : string | string[];
};

/** Rule params: any JSON by name. */
export type RuleParams = { [key: string]: any };

type RulesAllow = {
  $default?: string | null | undefined;
  view?: string | null | undefined;
  create?: string | null | undefined;
  update?: string | null | undefined;
  delete?: string | null | undefined;
};
type RulesEntityAllow = RulesAllow & {
  link?: { [label: string]: string } | null | undefined;
  unlink?: { [label: string]: string } | null | undefined;
};
type RulesRateLimits = Record<
  string,
  {
    limits: {
      capacity: number;
      refill?: { amount?: number | null; period?: string | null; type?: 'interval' | 'greedy' | null } | null;
    }[];
  }
>;
type RulesSpecial = {
  attrs?: { bind?: string[] | Record<string, string>; allow: RulesAllow };
  $default?: { bind?: string[] | Record<string, string>; allow: RulesEntityAllow };
  $rateLimits?: RulesRateLimits;
};

/** A permission rules document (`instant.perms.ts`), its namespaces and `fields` from the schema. */
export type InstantRules<Schema extends InstantSchemaDef<any, any, any> = InstantUnknownSchema> = RulesSpecial &
  (IsUntyped<Schema> extends true
    ? { [namespace: string]: { bind?: string[] | Record<string, string>; allow: RulesEntityAllow; fields?: { [attribute: string]: string } } | RulesSpecial[keyof RulesSpecial] }
    : {
        [EntityName in keyof Schema['entities']]?: {
          bind?: string[] | Record<string, string>;
          allow: RulesEntityAllow;
          fields?: { [A in Exclude<keyof Schema['entities'][EntityName]['attrs'], 'id'>]?: string };
        };
      });

/** The rooms of a schema: each room's presence and topic shapes. */
export type RoomsOf<Schema> = Schema extends InstantSchemaDef<any, any, infer Rooms>
  ? {
      [Room in keyof Rooms]: {
        presence: Flatten<EntityValues<Rooms[Room]['presence'], false>>;
        topics: { [Topic in keyof Rooms[Room]['topics']]: Flatten<EntityValues<NonNullable<Rooms[Room]['topics']>[Topic], false>> };
      };
    }
  : never;
export type PresenceOf<Schema, RoomType extends keyof RoomsOf<Schema>> = RoomsOf<Schema>[RoomType] extends { presence: infer P } ? P : {};
export type TopicsOf<Schema, RoomType extends keyof RoomsOf<Schema>> = RoomsOf<Schema>[RoomType] extends { topics: infer T } ? T : {};
export type TopicOf<Schema, RoomType extends keyof RoomsOf<Schema>, TopicType extends keyof TopicsOf<Schema, RoomType>> = TopicsOf<
  Schema,
  RoomType
>[TopicType];

/** What a typed live query delivers. */
export type SubscribeQueryPayload<Schema extends InstantSchemaDef<any, any, any>, Q, UseDates extends boolean = false> = SubscriptionPayload<
  InstaQLResponse<Schema, Q, UseDates>
>;
export type SubscribeQueryCallback<Schema extends InstantSchemaDef<any, any, any>, Q, UseDates extends boolean = false> = (
  payload: SubscribeQueryPayload<Schema, Q, UseDates>,
) => void;
export type SubscribeQueryResponse<Schema extends InstantSchemaDef<any, any, any>, Q, UseDates extends boolean = false> = Subscription<
  InstaQLResponse<Schema, Q, UseDates>
>;

/** The config `init` takes (@instantdb/admin's older name). */
export type Config = InstantConfig;

/**
 * The database `init` returns: `InstantAdminDatabase<typeof schema>` with a schema (and
 * `InstantAdminDatabase<typeof schema, true>` with `useDateObjects: true`), `UntypedAdminDatabase`
 * without one.
 */
export type InstantAdminDatabase<
  Schema extends InstantSchemaDef<any, any, any> = InstantUnknownSchema,
  UseDates extends boolean = false,
> = IsUntyped<Schema> extends true ? UntypedAdminDatabase : TypedAdminDatabase<Schema, UseDates>;

/** A database typed by its schema; the calls not listed here are `UntypedAdminDatabase`'s. */
export interface TypedAdminDatabase<Schema extends InstantSchemaDef<any, any, any>, UseDates extends boolean = false>
  extends Omit<UntypedAdminDatabase, 'tx' | 'query' | 'subscribeQuery' | 'debugQuery' | 'asUser'> {
  /** Steps on the schema's namespaces, with its attributes and link labels. */
  readonly tx: TxChunk<Schema>;
  /**
   * Runs an InstaQL query of the schema; the result is typed by it: attributes (only those of
   * `fields` when given), has-one links as an object or `undefined`, has-many links as arrays,
   * `i.date()` attributes as `Date` when `init` got `useDateObjects: true`.
   */
  query<Q extends ValidQuery<Q, Schema>>(query: Q, opts?: QueryOptions): Promise<InstaQLResponse<Schema, Q, UseDates>>;
  /** A live query: `callback` gets every payload; or iterate with `for await`. Throws on a bad query. */
  subscribeQuery<Q extends ValidQuery<Q, Schema>>(
    query: Q,
    callback?: SubscribeQueryCallback<Schema, Q, UseDates>,
    opts?: { ruleParams?: Record<string, unknown>; signal?: AbortSignal } & FetchOptions,
  ): SubscribeQueryResponse<Schema, Q, UseDates>;
  /** As `UntypedAdminDatabase.debugQuery`; `cardinalityInference: false` makes every link an array. */
  debugQuery<Q extends ValidQuery<Q, Schema>>(
    query: Q,
    opts: DebugQueryOptions & { cardinalityInference: false },
  ): Promise<{ result: QueryResult<Schema, Q, UseDates, false>; checkResults: DebugCheckResult[] }>;
  debugQuery<Q extends ValidQuery<Q, Schema>>(
    query: Q,
    opts?: DebugQueryOptions,
  ): Promise<{ result: InstaQLResponse<Schema, Q, UseDates>; checkResults: DebugCheckResult[] }>;
  /** A database handle acting as a user or a guest (permission rules apply), with the same schema. */
  asUser(opts: ImpersonationOpts): TypedAdminDatabase<Schema, UseDates>;
}
