// Types of `instant-edge/platform`: the names and shapes of @instantdb/platform 1.0.67's
// PlatformApi. The schema builder and its types are the admin entry's (`./index.js`).
import type { EntitiesDef, InstantRules, InstantSchemaDef, LinksDef, RoomsDef } from './index.js';

export { i, id } from './index.js';
export type { InstantRules, InstantSchemaDef } from './index.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A schema as `i.schema(...)` makes it. */
export type AnySchema = InstantSchemaDef<EntitiesDef, LinksDef<EntitiesDef>, RoomsDef>;

export type ErrorKind = 'api' | 'network' | 'timeout' | 'aborted' | 'decode' | 'invalid-argument';

/** Every rejection: compatible with @instantdb/admin's InstantAPIError, plus `kind`. This
 * entry's class (the admin entry has its own). */
export declare class InstantAPIError extends Error {
  readonly name: 'InstantAPIError';
  readonly kind: ErrorKind;
  /** HTTP status, 0 when the server never answered or the call was refused before sending. */
  readonly status: number;
  /** The parsed error body (`{ type, message, hint, 'trace-id' }` from the server). */
  readonly body: { type?: string | null; message: string; [key: string]: unknown };
  readonly hint?: unknown;
  readonly traceId?: string;
  constructor(error: { status: number; body: { message?: string; [key: string]: unknown } });
}

/** Thrown (or rejected with) by calls that need credentials when none were given. */
export declare class PlatformApiMissingAuthError extends InstantAPIError {
  constructor();
}

export type InstantDBIdent = [id: string, etype: string, label: string];
export type InstantDBCheckedDataType = 'string' | 'number' | 'boolean' | 'date';

/** An attribute as the server describes it. */
export interface InstantDBAttr {
  id: string;
  'value-type': 'blob' | 'ref';
  cardinality: 'one' | 'many';
  'forward-identity': InstantDBIdent;
  'reverse-identity'?: InstantDBIdent | null;
  'unique?': boolean;
  'index?': boolean;
  'required?'?: boolean;
  'checked-data-type'?: InstantDBCheckedDataType | null;
  'on-delete'?: 'cascade' | null;
  'on-delete-reverse'?: 'cascade' | null;
  catalog?: 'user' | 'system';
  [key: string]: unknown;
}

/** A schema as the server answers it (`getSchema` converts it with `apiSchemaToInstantSchemaDef`). */
export type InstantAPIPlatformSchema = {
  refs: Record<string, InstantDBAttr>;
  blobs: Record<string, Record<string, InstantDBAttr>>;
};

/** The server's schema as `i.schema(...)` builds it (`localeCompare` order, types from
 * `checked-data-type`, link names `<etype><Label>`). */
export declare function apiSchemaToInstantSchemaDef(schema: InstantAPIPlatformSchema): AnySchema;

type AppDataOpts = { includePerms?: boolean | null | undefined; includeSchema?: boolean | null | undefined };

export type InstantAPIAppDetails<Opts extends AppDataOpts | undefined> = Simplify<
  { id: string; title: string; createdAt: Date; orgId: string | null } & (NonNullable<Opts>['includePerms'] extends true
    ? { perms: InstantRules }
    : {}) &
    (NonNullable<Opts>['includeSchema'] extends true ? { schema: AnySchema } : {})
>;
export type InstantAPIOrgDetails = { id: string; title: string; createdAt: Date };

export type InstantAPIGetAppResponse<Opts extends AppDataOpts> = Simplify<{ app: InstantAPIAppDetails<Opts> }>;
export type InstantAPIListAppsResponse<Opts extends AppDataOpts | undefined> = Simplify<{ apps: InstantAPIAppDetails<Opts>[] }>;
export type InstantAPIListOrgsResponse = { orgs: InstantAPIOrgDetails[] };
export type InstantAPIGetAppSchemaResponse = { schema: AnySchema };
export type InstantAPIGetAppPermsResponse = { perms: InstantRules };
export type InstantAPICreateAppBody = {
  title: string;
  schema?: AnySchema | null | undefined;
  perms?: InstantRules | null | undefined;
  orgId?: string | null | undefined;
};
export type InstantAPICreateAppResponse = Simplify<{
  app: InstantAPIAppDetails<{ includePerms: true; includeSchema: true }> & { adminToken: string };
}>;
export type InstantAPICreateTemporaryAppBody = {
  title: string;
  schema?: AnySchema | null | undefined;
  rules?: { code: InstantRules } | null;
};
export type InstantAPICreateTemporaryAppResponse = {
  app: Simplify<InstantAPIAppDetails<{ includePerms: false; includeSchema: false }> & { adminToken: string }>;
  expiresMs: number;
};
export type InstantAPIUpdateAppBody = { title: string };
export type InstantAPIUpdateAppResponse = Simplify<{ app: InstantAPIAppDetails<{}> }>;
export type InstantAPIDeleteAppResponse = Simplify<{ app: InstantAPIAppDetails<{}> }>;
export type InstantAPIPushPermsBody = { perms: InstantRules };
export type InstantAPIPushPermsResponse = { perms: InstantRules };
export type InstantAPITokenInfoResponse = { expiresAt: Date; scopes: string; tokenType: 'Bearer' };

/** A rename for an overwrite push: `from:to`, each side `entity.label` (`'posts.name:posts.title'`). */
export type RenameCommand = `${string}.${string}:${string}.${string}`;

/** What a push takes. Without `overwrite` the server plans it and nothing is deleted; with
 * `overwrite: true` it is planned on the client from the app's current schema: what `schema`
 * lacks is deleted, and each of `renames` renames instead. */
export type InstantAPISchemaPushBody = { schema: AnySchema; overwrite?: false } | { schema: AnySchema; overwrite: true; renames?: RenameCommand[] };

/** A schema an overwrite push refuses before anything is sent (a new `$` entity, a required
 * attribute on a system entity, a cascade on a `many` side, a link to a missing entity). */
/** Turns the package's warnings on or off (both entries: one switch). */
export declare function setInstantWarningsEnabled(enabled: boolean): void;

export declare class SchemaValidationError extends Error {
  readonly name: 'SchemaValidationError';
}

type ConstraintStep<Type extends string> = { type: Type; friendlyDescription: string; attrId: string; forwardIdentity: InstantDBIdent };
export type InstantAPISchemaPlanStep =
  | { type: 'add-attr'; friendlyDescription: string; attr: InstantDBAttr }
  | { type: 'update-attr'; friendlyDescription: string; attr: InstantDBAttr }
  | { type: 'delete-attr'; friendlyDescription: string; attrId: string }
  | ConstraintStep<'index' | 'remove-index' | 'unique' | 'remove-unique' | 'required' | 'remove-required' | 'remove-data-type'>
  | (ConstraintStep<'check-data-type'> & { checkedDataType: InstantDBCheckedDataType });

export type InstantBackgroundSchemaJob = {
  id: string;
  type: 'check-data-type' | 'remove-data-type' | 'index' | 'remove-index' | 'unique' | 'remove-unique' | 'required' | 'remove-required';
  createdAt: Date;
  updatedAt: Date;
  status: 'completed' | 'waiting' | 'processing' | 'errored';
  workEstimate: number | null;
  workCompleted: number | null;
  error?:
    | 'invalid-triple-error'
    | 'invalid-attr-state-error'
    | 'triple-not-unique-error'
    | 'triple-too-large-error'
    | 'missing-required-error'
    | 'unexpected-error'
    | null;
  invalidTriplesSample?: { entityId: string; value: any; jsonType: 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'date' }[];
  /** `check-data-type` jobs. */
  checkedDataType?: InstantDBCheckedDataType;
  /** `unique` jobs: the value found twice. */
  invalidUniqueValue?: any;
};

/** A step of a push: a constraint step carries its background job. */
export type InstantAPISchemaPushStep = Exclude<InstantAPISchemaPlanStep, { type: 'delete-attr' }> & {
  backgroundJob?: InstantBackgroundSchemaJob;
};

export type InstantAPIPlanSchemaPushResponse = { newSchema: AnySchema; currentSchema: AnySchema; steps: InstantAPISchemaPlanStep[] };

export type InProgressStepsSummary = {
  friendlyDescription: string;
  totalCount: number;
  inProgressCount: number;
  completedCount: number;
  errorCount: number;
  steps: InstantAPISchemaPushStep[];
  inProgressSteps: InstantAPISchemaPushStep[];
  completedSteps: InstantAPISchemaPushStep[];
  erroredSteps: InstantAPISchemaPushStep[];
};
export type InstantAPISchemaPushResponse = { newSchema: AnySchema; steps: InstantAPISchemaPushStep[]; summary: InProgressStepsSummary };

export type ProgressPromiseSubscription = { unsubscribe: () => void };
export type ProgressPromiseObserver<StatusT, ResultT> = {
  next?: (status: StatusT) => void;
  error?: (error: Error) => void;
  complete?: (result: ResultT) => void;
};

/** A Promise of the result that also reports progress: `subscribe` gets each status while it
 * runs, and the result (or error) once settled, at once when it already is. Unlike the
 * official one, `then`, `catch` and `finally` chain. */
export declare class ProgressPromise<StatusT, ResultT> extends Promise<ResultT> {
  constructor(executor: (progress: (status: StatusT) => void, resolve: (result: ResultT) => void, reject: (error: Error) => void) => void);
  subscribe(observer: ProgressPromiseObserver<StatusT, ResultT>): ProgressPromiseSubscription;
}

export type PlatformApiAuth =
  | { token: string }
  | {
      accessToken: string;
      refreshToken: string;
      clientId: string;
      clientSecret: string;
      /** Called (and awaited) after each refresh, to store the new token; what it throws is
       * reported with `console.error`. */
      onRefresh?: (tokenInfo: { accessToken: string; expiresAt: Date }) => Promise<void> | void;
    };

export type PlatformApiConfig = {
  auth?: PlatformApiAuth;
  /** The API base; else `INSTANT_API_URI`, else Instant Cloud (with a warning). */
  apiURI?: string;
};

/** The Platform API: apps, orgs, perms, schema pushes, OAuth tokens. */
export declare class PlatformApi {
  constructor(config?: PlatformApiConfig);
  /** The bearer token sent now (after any refresh). */
  token(): string;
  canRefreshToken(): boolean;
  /** A new access token, used from now on; `null` when the credentials cannot be refreshed. */
  refreshToken(): Promise<null | { accessToken: string; expiresAt: Date }>;
  /** Calls `f(apiURI, token, ...rest)`, again with a refreshed token when it failed for an
   * expired one (at most twice). */
  withRetry<F extends (...args: any[]) => any>(f: F, args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
  getApp<Opts extends AppDataOpts>(appId: string, opts?: Opts): Promise<InstantAPIGetAppResponse<Opts>>;
  getApps<Opts extends AppDataOpts>(opts?: Opts): Promise<InstantAPIListAppsResponse<Opts>>;
  getOrgs(): Promise<InstantAPIListOrgsResponse>;
  getAppsForOrg<Opts extends AppDataOpts>(orgId: string, opts?: Opts): Promise<InstantAPIListAppsResponse<Opts>>;
  getSchema(appId: string): Promise<InstantAPIGetAppSchemaResponse>;
  getPerms(appId: string): Promise<InstantAPIGetAppPermsResponse>;
  createApp(fields: InstantAPICreateAppBody): Promise<InstantAPICreateAppResponse>;
  createTemporaryApp(fields: InstantAPICreateTemporaryAppBody): Promise<InstantAPICreateTemporaryAppResponse>;
  updateApp(appId: string, fields: InstantAPIUpdateAppBody): Promise<InstantAPIUpdateAppResponse>;
  deleteApp(appId: string): Promise<InstantAPIDeleteAppResponse>;
  planSchemaPush(appId: string, body: InstantAPISchemaPushBody): Promise<InstantAPIPlanSchemaPushResponse>;
  schemaPush(appId: string, body: InstantAPISchemaPushBody): ProgressPromise<InProgressStepsSummary, InstantAPISchemaPushResponse>;
  pushPerms(appId: string, body: InstantAPIPushPermsBody): Promise<InstantAPIPushPermsResponse>;
  tokenInfo(): Promise<InstantAPITokenInfoResponse>;
}

/** What an OAuth access token may do (space-separated on the wire). `*-write` implies `*-read`. */
export type OAuthScope = 'apps-read' | 'apps-write' | 'data-read' | 'data-write' | 'storage-read' | 'storage-write';

/** Every rejection of the OAuth helpers and `OAuthHandler`. The server answers Instant errors,
 * not RFC 6749 ones, so unlike the official class (which reports `server_error` and loses the
 * rest) `error` is the server's `type` (e.g. `record-not-found`), `errorDescription` its
 * `message`, and `cause` the `InstantAPIError` with its status and hint. A failure that never
 * reached the server has its kind as `error` (`network`, `timeout`, `invalid-argument`). An
 * error redirect keeps the redirect's `error` and `error_description`. */
export declare class InstantOAuthError extends Error {
  readonly name: 'InstantOAuthError';
  error: string;
  errorDescription: string | null | undefined;
  constructor(config: { message: string; error: string; errorDescription?: string | null | undefined; cause?: unknown });
}

/** A token of the client-only flow (no refresh token in that flow). */
export type InstantDBOAuthAccessToken = {
  token: string;
  /** 30 s before the server's expiry (two weeks after issue). */
  expiresAt: Date;
};

/** A token of a code exchange with the client secret. */
export type InstantOAuthTokens = {
  accessToken: string;
  /** With the client secret only; keep it: refresh tokens do not expire and are not rotated. */
  refreshToken: string;
  /** 30 s before the server's expiry (two weeks after issue). */
  expiresAt: Date;
  /** Space-separated. */
  scopes: string;
  tokenType: 'Bearer';
};

type OAuthBase = { clientId: string; redirectUri: string; apiURI?: string };

/** Exchanges the code the redirect brought: with the client secret (a server; a refresh token
 * comes back) or, instant-edge only, with the PKCE verifier of `createAuthorizationUrl` (no
 * refresh token). `apiURI`: else `INSTANT_API_URI`, else Instant Cloud. Rejects with an
 * `InstantOAuthError` on any failure (the official one only on a non-2xx answer). */
export declare function exchangeCodeForToken(opts: OAuthBase & { code: string; clientSecret: string }): Promise<InstantOAuthTokens>;
export declare function exchangeCodeForToken(
  opts: OAuthBase & { code: string; codeVerifier: string; clientSecret?: undefined },
): Promise<Omit<InstantOAuthTokens, 'refreshToken'> & { refreshToken?: undefined }>;

/** Mints an access token with a refresh token (which stays valid: no new one comes back).
 * Unlike the official helper: `expiresAt` is from now (not January 1970), `scopes` is read (the
 * answer says `scope`), and an error answer rejects with an `InstantOAuthError` (the official
 * resolves `accessToken: undefined`). */
export declare function exchangeRefreshToken(opts: {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  apiURI?: string;
}): Promise<Omit<InstantOAuthTokens, 'refreshToken'>>;

/** instant-edge only: revokes a refresh token (with every access token it minted) or one access
 * token. An unknown token is not an error (the server's answer). */
export declare function revokeToken(opts: { token: string; apiURI?: string }): Promise<void>;

/** instant-edge only: where to send the user (`<apiURI>/platform/oauth/start?…`, parameters as
 * the official client orders them), with a fresh PKCE pair (S256) and, when none is given, a
 * fresh state. Keep `codeVerifier` for `exchangeCodeForToken` and check `state` on the
 * redirect. Rejects with an `InstantOAuthError` (`invalid-argument`) for an unknown scope. */
export declare function createAuthorizationUrl(opts: {
  clientId: string;
  redirectUri: string;
  scopes: OAuthScope[];
  state?: string;
  apiURI?: string;
}): Promise<{ url: string; state: string; codeVerifier: string }>;

export interface OAuthHandlerConfig {
  /** Exactly one of the OAuth client's authorized redirect URLs. */
  redirectUri: string;
  clientId: string;
  /** Else `INSTANT_API_URI`, else Instant Cloud. */
  apiURI?: string | null;
}

/** The browser-only OAuth flow: a popup, PKCE, no client secret and no refresh token. */
export declare class OAuthHandler {
  readonly redirectUri: string;
  readonly clientId: string;
  readonly apiURI: string;
  constructor(config: OAuthHandlerConfig);
  /** Opens the popup at once (call it from a click) and resolves the token once the redirect
   * page has called `handleClientRedirect`. Rejects with an `InstantOAuthError`, also when the
   * popup cannot open (`error: 'Could not open Auth window'`; the official rejects a plain
   * object). Throws outside a browser. */
  startClientOnlyFlow(scopes: OAuthScope[]): Promise<InstantDBOAuthAccessToken>;
  /** On the page at `redirectUri` (same origin as the opener): hands the redirect's code or
   * error to the opener and closes the popup when it is done. Returns the cleanup. */
  handleClientRedirect(): () => void;
}
