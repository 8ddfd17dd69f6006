// Compiled (never run) by run-types.mjs under --strict: `instant-edge/platform` used as
// @instantdb/platform's PlatformApi is, its results typed by the options given.
import {
  PlatformApi, PlatformApiMissingAuthError, InstantAPIError, ProgressPromise, apiSchemaToInstantSchemaDef, i, id,
  type InProgressStepsSummary, type InstantAPISchemaPushResponse, type InstantBackgroundSchemaJob, type InstantRules,
  OAuthHandler, InstantOAuthError, SchemaValidationError, exchangeCodeForToken, exchangeRefreshToken, revokeToken, createAuthorizationUrl,
  type OAuthScope, type InstantDBOAuthAccessToken,
} from 'instant-edge/platform';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const schema = i.schema({ entities: { books: i.entity({ title: i.string().indexed() }) } });
const perms: InstantRules = { books: { allow: { view: 'true', $default: 'false' } } };

async function usage(): Promise<void> {
  const api = new PlatformApi({
    auth: { accessToken: 'pat_x', refreshToken: 'prt_x', clientId: id(), clientSecret: 's', onRefresh: async ({ accessToken, expiresAt }) => void [accessToken, expiresAt.getTime()] },
    apiURI: 'http://127.0.0.1:8888',
  });
  const { app } = await api.createApp({ title: 'Books', schema, perms });
  const adminToken: string = app.adminToken;
  const { apps } = await api.getApps({ includePerms: true, includeSchema: true });
  type _withBoth = Expect<Equal<keyof (typeof apps)[number], 'id' | 'title' | 'createdAt' | 'orgId' | 'perms' | 'schema'>>;
  const { apps: bare } = await api.getApps();
  type _bare = Expect<Equal<keyof (typeof bare)[number], 'id' | 'title' | 'createdAt' | 'orgId'>>;
  // @ts-expect-error: no schema without includeSchema
  bare[0].schema;
  const { app: one } = await api.getApp(app.id, { includeSchema: true });
  const indexed: boolean = one.schema.entities.books.attrs.title.isIndexed;
  const created: Date = one.createdAt;
  const { orgs } = await api.getOrgs();
  const orgApps = await api.getAppsForOrg(orgs[0].id);
  const { perms: stored } = await api.getPerms(app.id);
  await api.pushPerms(app.id, { perms: stored });
  await api.updateApp(app.id, { title: 'Renamed' });
  const plan = await api.planSchemaPush(app.id, { schema });
  const descriptions: string[] = plan.steps.map((s) => s.friendlyDescription);
  await api.planSchemaPush(app.id, { schema, overwrite: true, renames: ['books.name:books.title'] });
  // @ts-expect-error: renames only with overwrite: true
  await api.planSchemaPush(app.id, { schema, renames: ['books.name:books.title'] });
  // @ts-expect-error: a rename is `entity.label:entity.label`
  await api.schemaPush(app.id, { schema, overwrite: true, renames: ['title'] });
  const refused: Error = new SchemaValidationError('x');
  const push = api.schemaPush(app.id, { schema });
  const sub = push.subscribe({ next: (s: InProgressStepsSummary) => s.inProgressCount, error: (e: Error) => e.message });
  sub.unsubscribe();
  const chained: Promise<string> = push.then((r) => r.summary.friendlyDescription);
  const result: InstantAPISchemaPushResponse = await push;
  const job: InstantBackgroundSchemaJob | undefined = result.steps[0]?.backgroundJob;
  const status: 'completed' | 'waiting' | 'processing' | 'errored' | undefined = job?.status;
  const asPromise: Promise<InstantAPISchemaPushResponse> = push;
  const progress: ProgressPromise<InProgressStepsSummary, InstantAPISchemaPushResponse> = push;
  const { app: temporary, expiresMs } = await new PlatformApi().createTemporaryApp({ title: 't', rules: { code: perms } });
  const info = await api.tokenInfo();
  const expires: Date = info.expiresAt;
  const refreshed = await api.refreshToken();
  const token: string | undefined = refreshed?.accessToken;
  const can: boolean = api.canRefreshToken();
  const current: string = api.token();
  const retried: number = await api.withRetry(async (uri: string, t: string, n: number) => n + uri.length + t.length, ['http://x', current, 1]);
  const converted = apiSchemaToInstantSchemaDef({ refs: {}, blobs: {} });
  await api.deleteApp(app.id);
  try {
    await api.getApp('x');
  } catch (e) {
    if (e instanceof PlatformApiMissingAuthError) e.kind satisfies string;
    if (e instanceof InstantAPIError) [e.status, e.body.message, e.kind] satisfies [number, string, string];
  }
  void [adminToken, indexed, created, orgApps, descriptions, chained, status, asPromise, progress, temporary, expiresMs, expires, token, can, retried, converted];
}
void usage;

async function oauth(): Promise<void> {
  const apiURI = 'http://127.0.0.1:8888';
  const [clientId, clientSecret, redirectUri] = [id(), 's', 'http://localhost:3000/cb'];
  const scopes: OAuthScope[] = ['apps-read', 'data-write'];
  // @ts-expect-error: not a scope
  const wrong: OAuthScope = 'admin';
  const { url, state, codeVerifier } = await createAuthorizationUrl({ clientId, redirectUri, scopes, apiURI });
  const granted = await exchangeCodeForToken({ code: 'c', clientId, clientSecret, redirectUri, apiURI });
  const refreshToken: string = granted.refreshToken;
  const [expiresAt, tokenType]: [Date, 'Bearer'] = [granted.expiresAt, granted.tokenType];
  const pkce = await exchangeCodeForToken({ code: 'c', clientId, codeVerifier, redirectUri });
  const none: undefined = pkce.refreshToken;
  const refreshed = await exchangeRefreshToken({ clientId, clientSecret, refreshToken });
  const scopesNow: string = refreshed.scopes;
  // @ts-expect-error: no new refresh token on a refresh
  refreshed.refreshToken;
  await revokeToken({ token: refreshToken, apiURI });
  const handler = new OAuthHandler({ clientId, redirectUri, apiURI });
  const flow: InstantDBOAuthAccessToken = await handler.startClientOnlyFlow(scopes);
  const cleanup: () => void = handler.handleClientRedirect();
  try {
    await handler.startClientOnlyFlow(['apps-write']);
  } catch (e) {
    if (e instanceof InstantOAuthError) [e.error, e.errorDescription, e.message] satisfies [string, string | null | undefined, string];
  }
  const made = new InstantOAuthError({ message: 'OAuth error: access_denied', error: 'access_denied' });
  void [wrong, url, state, expiresAt, tokenType, none, scopesNow, flow, cleanup, made];
}
void oauth;
