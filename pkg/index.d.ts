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
  /** Any truthy value sends `inference?` and `throw-on-missing-attrs?` as @instantdb/admin does with a schema. */
  schema?: unknown;
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

export interface InstantAdminDatabase {
  readonly tx: TxChunk;
  /** Runs an InstaQL query. */
  query<R = any>(query: Record<string, unknown>, opts?: QueryOptions): Promise<R>;
  /** Applies chunks as one transaction; resolves `{ "tx-id": number }`. */
  transact(chunks: TransactionChunk | TransactionChunk[], opts?: CallOptions): Promise<{ 'tx-id': number }>;
  /** A database handle acting as a user or a guest (permission rules apply). */
  asUser(opts: ImpersonationOpts): InstantAdminDatabase;
}

export type ErrorKind = 'api' | 'network' | 'timeout' | 'aborted' | 'decode' | 'invalid-argument';

/** Every rejection: compatible with @instantdb/admin's InstantAPIError, plus `kind`. */
export declare class InstantAPIError extends Error {
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
