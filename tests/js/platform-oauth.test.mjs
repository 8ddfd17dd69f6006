// The OAuth part of instant-edge/platform (issue #17) side by side with the official
// @instantdb/platform 1.0.67 against the emulator: code and refresh exchanges, their errors, the
// PKCE start URL, and OAuthHandler's popup flow run in Node with a stubbed `window` (Node has
// BroadcastChannel and Web Crypto). "platform §x" is shared/spec/instant-platform-api.md.
//
// Not covered here (needs a real browser): popup blockers and `window.open` features, the
// popup's navigation to a cross-origin consent page and back, BroadcastChannel between two
// browser windows, and the popup closing itself.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import * as official from '@instantdb/platform';
import * as edge from '../../pkg/platform/node.js';
import { apiURI, control } from './helpers.mjs';

const redirectUri = 'http://localhost:9/cb';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TWO_WEEKS = 14 * 86_400_000;

/** A fresh user whom `/platform/oauth/start` takes as consenting at once (platform §7.3), and
 * an OAuth client redirecting to `redirectUri`. The consent is the emulator's, one at a time:
 * the tests of this file run one after another. */
async function oauthClient() {
  const email = `oauth-${crypto.randomUUID()}@example.com`;
  await control('/platform/users', { email });
  await control('/platform/oauth-consent', { email });
  const { 'client-id': clientId, 'client-secret': clientSecret } = await control('/platform/oauth-clients', {
    'app-name': 'OAuth test',
    'redirect-urls': [redirectUri],
  });
  return { clientId, clientSecret };
}

/** Follows a start URL to the redirect (auto-consent) and returns its query. */
async function redirectOf(url) {
  const response = await fetch(url, { redirect: 'manual' });
  assert.equal(response.status, 302, await response.text());
  const location = new URL(response.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, redirectUri);
  return location.searchParams;
}

/** A code for `clientId`, from a start URL made by hand as the official docs show (no PKCE). */
async function code(clientId, scopes = ['apps-read', 'apps-write']) {
  const url = new URL(`${apiURI}/platform/oauth/start`);
  const state = crypto.randomUUID();
  for (const [key, value] of Object.entries({ client_id: clientId, redirect_uri: redirectUri, scope: scopes.join(' '), state, response_type: 'code' }))
    url.searchParams.set(key, value);
  const query = await redirectOf(url);
  assert.equal(query.get('state'), state);
  return query.get('code');
}

/** What a rejected promise rejected with. */
const failure = (promise) => promise.then(() => assert.fail('expected a rejection'), (error) => error);

/** A grant with its tokens and dates as placeholders, to compare the two helpers' answers. */
const shape = (grant) =>
  Object.fromEntries(
    Object.entries(grant).map(([k, v]) => [k, v instanceof Date ? '<date>' : typeof v === 'string' && /^p[ar]t_/.test(v) ? v.slice(0, 4) : v]),
  );

/** `date` is about two weeks minus 30 s from now (the server's expires_in, platform §2.4). */
function twoWeeksFromNow(date) {
  assert.ok(date instanceof Date);
  const left = date.getTime() - Date.now();
  assert.ok(left > TWO_WEEKS - 120_000 && left <= TWO_WEEKS, `expires in ${left} ms`);
}

test('exchangeCodeForToken: the official result (tokens and expiry aside), a refresh token included', async () => {
  const { clientId, clientSecret } = await oauthClient();
  const ours = await edge.exchangeCodeForToken({ code: await code(clientId), clientId, clientSecret, redirectUri, apiURI });
  const theirs = await official.exchangeCodeForToken({ code: await code(clientId), clientId, clientSecret, redirectUri, apiURI });
  assert.deepStrictEqual(shape(ours), shape(theirs));
  assert.deepStrictEqual(shape(ours), { accessToken: 'pat_', expiresAt: '<date>', refreshToken: 'prt_', scopes: 'apps-read apps-write', tokenType: 'Bearer' });
  assert.deepEqual(Object.keys(ours), Object.keys(theirs), 'the same keys in the same order');
  twoWeeksFromNow(ours.expiresAt);
  twoWeeksFromNow(theirs.expiresAt);
  // The token works for the Platform API with the granted scopes.
  const { apps } = await new edge.PlatformApi({ auth: { token: ours.accessToken }, apiURI }).getApps();
  assert.deepEqual(apps, []);
});

test('exchangeRefreshToken: ours dates the expiry from now and reads `scope`; the official has 1970 and undefined', async () => {
  const { clientId, clientSecret } = await oauthClient();
  const { refreshToken } = await edge.exchangeCodeForToken({ code: await code(clientId, ['apps-read']), clientId, clientSecret, redirectUri, apiURI });
  const ours = await edge.exchangeRefreshToken({ clientId, clientSecret, refreshToken, apiURI });
  const theirs = await official.exchangeRefreshToken({ clientId, clientSecret, refreshToken, apiURI });
  assert.deepEqual(Object.keys(ours), Object.keys(theirs));
  assert.deepStrictEqual(shape(ours), { accessToken: 'pat_', expiresAt: '<date>', scopes: 'apps-read', tokenType: 'Bearer' });
  twoWeeksFromNow(ours.expiresAt);
  // The official defects (platform §1.4), which ours does not have.
  assert.equal(theirs.expiresAt.getUTCFullYear(), 1970);
  assert.equal(theirs.scopes, undefined);
  assert.equal(theirs.tokenType, 'Bearer');
  assert.notEqual(ours.accessToken, theirs.accessToken, 'each refresh mints its own token');
  const { apps } = await new edge.PlatformApi({ auth: { token: ours.accessToken }, apiURI }).getApps();
  assert.deepEqual(apps, []);
});

test('a reused code: ours rejects an InstantOAuthError with the server type and message, the official loses them', async () => {
  const { clientId, clientSecret } = await oauthClient();
  const used = await code(clientId);
  await edge.exchangeCodeForToken({ code: used, clientId, clientSecret, redirectUri, apiURI });

  const ours = await failure(edge.exchangeCodeForToken({ code: used, clientId, clientSecret, redirectUri, apiURI }));
  assert.ok(ours instanceof edge.InstantOAuthError && ours instanceof Error);
  assert.equal(ours.name, 'InstantOAuthError');
  assert.equal(Object.prototype.toString.call(ours), '[object InstantOAuthError]');
  assert.equal(ours.error, 'record-not-found');
  assert.equal(ours.errorDescription, 'Record not found: oauth-code');
  assert.equal(ours.message, 'OAuth error: record-not-found (Record not found: oauth-code)');
  assert.ok(ours.cause instanceof edge.InstantAPIError);
  assert.equal(ours.cause.status, 400);
  assert.equal(ours.cause.hint['record-type'], 'oauth-code');
  assert.ok(!JSON.stringify({ ...ours, cause: ours.cause.body }).includes(clientSecret), 'no secret in the error');

  const theirs = await failure(official.exchangeCodeForToken({ code: used, clientId, clientSecret, redirectUri, apiURI }));
  assert.ok(theirs instanceof official.InstantOAuthError);
  assert.deepEqual([theirs.error, theirs.errorDescription, theirs.message], [undefined, undefined, 'OAuth error: server_error']);
});

test('a wrong client secret, a revoked refresh token: ours rejects; the official refresh resolves accessToken undefined', async () => {
  const { clientId, clientSecret } = await oauthClient();
  const wrong = await failure(edge.exchangeCodeForToken({ code: await code(clientId), clientId, clientSecret: 'f'.repeat(68), redirectUri, apiURI }));
  assert.deepEqual([wrong.error, wrong.errorDescription], ['record-not-found', 'Record not found: oauth-app-client']);
  assert.ok(!wrong.message.includes('f'.repeat(68)));

  const { refreshToken, accessToken } = await edge.exchangeCodeForToken({ code: await code(clientId), clientId, clientSecret, redirectUri, apiURI });
  assert.equal(await edge.revokeToken({ token: refreshToken, apiURI }), undefined);
  assert.equal(await edge.revokeToken({ token: refreshToken, apiURI }), undefined, 'an unknown token is not an error (platform §2.6)');
  const ours = await failure(edge.exchangeRefreshToken({ clientId, clientSecret, refreshToken, apiURI }));
  assert.ok(ours instanceof edge.InstantOAuthError);
  assert.deepEqual([ours.error, ours.errorDescription], ['record-not-found', 'Record not found: oauth-refresh-token']);
  assert.ok(!JSON.stringify(ours.cause.body).includes(refreshToken), 'the refresh token is scrubbed from what the server echoed');
  const theirs = await official.exchangeRefreshToken({ clientId, clientSecret, refreshToken, apiURI });
  assert.equal(theirs.accessToken, undefined, 'the official helper never checks the status (platform §1.4)');

  // Revoking the refresh token revoked the access tokens it minted.
  const revoked = await failure(new edge.PlatformApi({ auth: { token: accessToken }, apiURI }).getApps());
  assert.equal(revoked.body.type, 'record-not-found');
  const malformed = await failure(edge.revokeToken({ token: 'nope', apiURI }));
  assert.deepEqual([malformed.error, malformed.cause.status], ['param-malformed', 400]);
});

test('PKCE: createAuthorizationUrl gives the official start URL and a verifier; exchangeCodeForToken takes it for a secret', async () => {
  const { clientId } = await oauthClient();
  const scopes = ['apps-read', 'data-write'];
  const { url, state, codeVerifier } = await edge.createAuthorizationUrl({ clientId, redirectUri, scopes, apiURI });
  assert.match(state, UUID);
  assert.match(codeVerifier, /^[0-9A-Za-z._~-]{64}$/);
  const start = new URL(url);
  assert.equal(`${start.origin}${start.pathname}`, `${apiURI}/platform/oauth/start`);
  const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
  assert.deepEqual([...start.searchParams], [
    ['client_id', clientId],
    ['redirect_uri', redirectUri],
    ['scope', 'apps-read data-write'],
    ['state', state],
    ['response_type', 'code'],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
  ]);
  assert.ok(url.includes('scope=apps-read+data-write'), 'a space is `+`, as URLSearchParams writes it');

  const query = await redirectOf(url);
  assert.equal(query.get('state'), state);
  const grant = await edge.exchangeCodeForToken({ code: query.get('code'), clientId, codeVerifier, redirectUri, apiURI });
  assert.deepStrictEqual(shape(grant), { accessToken: 'pat_', expiresAt: '<date>', refreshToken: undefined, scopes: 'apps-read data-write', tokenType: 'Bearer' });
  twoWeeksFromNow(grant.expiresAt);

  // A given state is kept; a wrong verifier fails the server's S256 check (and burns the code).
  const again = await edge.createAuthorizationUrl({ clientId, redirectUri, scopes, state: 'mine', apiURI });
  assert.equal(again.state, 'mine');
  assert.notEqual(again.codeVerifier, codeVerifier);
  const other = (await redirectOf(again.url)).get('code');
  const bad = await failure(edge.exchangeCodeForToken({ code: other, clientId, codeVerifier, redirectUri, apiURI }));
  assert.equal(bad.error, 'validation-failed');
  assert.ok(!bad.message.includes(codeVerifier));
});

test('bad input rejects with an InstantOAuthError before any request', async () => {
  const unknown = await failure(edge.createAuthorizationUrl({ clientId: 'c', redirectUri, scopes: ['apps-read', 'admin'], apiURI }));
  assert.ok(unknown instanceof edge.InstantOAuthError);
  assert.equal(unknown.error, 'invalid-argument');
  assert.match(unknown.errorDescription, /scopes/);
  const notArray = await failure(edge.createAuthorizationUrl({ clientId: 'c', redirectUri, scopes: 'apps-read', apiURI }));
  assert.equal(notArray.error, 'invalid-argument');
  const noCode = await failure(edge.exchangeCodeForToken({ clientId: 'c', clientSecret: 's', redirectUri, apiURI }));
  assert.deepEqual([noCode.error, noCode.cause.kind, noCode.cause.status], ['invalid-argument', 'invalid-argument', 0]);
  const noProof = await failure(edge.exchangeCodeForToken({ code: 'x', clientId: 'c', redirectUri, apiURI }));
  assert.match(noProof.errorDescription, /clientSecret/);
  const network = await failure(edge.exchangeRefreshToken({ clientId: 'c', clientSecret: 's', refreshToken: 'prt_x', apiURI: 'http://127.0.0.1:9' }));
  assert.equal(network.error, 'network');
});

test('InstantOAuthError is built as the official one is', () => {
  const config = { message: 'OAuth error: access_denied', error: 'access_denied', errorDescription: 'no' };
  const [ours, theirs] = [new edge.InstantOAuthError(config), new official.InstantOAuthError(config)];
  assert.deepEqual({ ...ours }, { ...theirs });
  assert.deepEqual([ours.name, ours.message, ours.error, ours.errorDescription], [theirs.name, theirs.message, theirs.error, theirs.errorDescription]);
  assert.equal(String(ours), String(theirs));
  assert.equal(edge.InstantOAuthError.name, 'InstantOAuthError');
});

// OAuthHandler in Node: `window` is a stub whose popup follows the start URL with fetch (the
// emulator consents at once) and then plays the redirect page: `window.location.href` becomes
// the redirect and `handleClientRedirect()` runs (ours or the official, either with either
// opener: they speak the same messages). BroadcastChannel is Node's, tracked to see what is
// left open.

const NodeChannel = globalThis.BroadcastChannel;
const channels = [];
class TrackedChannel extends NodeChannel {
  constructor(name) {
    super(name);
    channels.push(this);
    this.closedByClient = false;
  }
  close() {
    this.closedByClient = true;
    super.close();
  }
}

/** Installs the stub; `redirectPage` is the handler whose `handleClientRedirect` the
 * redirect page runs; `blocked` makes `window.open` return null. */
function stubWindow(t, { redirectPage, blocked = false, answer } = {}) {
  const seen = { opened: [], pages: [] };
  const win = {
    outerWidth: 1280,
    outerHeight: 800,
    screenX: 10,
    screenY: 20,
    location: { href: 'http://localhost:9/app' },
    closed: false,
    close() {
      win.closed = true;
    },
    open(url, name, features) {
      const popup = { closed: false, location: {}, close: () => (popup.closed = true) };
      seen.opened.push({ url, name, features, popup });
      if (blocked) return null;
      let href = url;
      Object.defineProperty(popup.location, 'href', {
        get: () => href,
        set: (to) => {
          href = to;
          seen.navigated = to;
          seen.done = follow(to);
        },
      });
      return popup;
    },
  };
  async function follow(to) {
    const query = new URLSearchParams(await (answer ?? redirectOf)(to));
    win.location.href = `${redirectUri}?${query}`;
    const cleanup = redirectPage.handleClientRedirect();
    seen.pages.push(cleanup);
    // The opener answers `oauth-redirect-window-done`, and the page closes itself.
    for (let i = 0; i < 200 && !win.closed; i++) await new Promise((r) => setTimeout(r, 10));
    cleanup();
    return win.closed;
  }
  globalThis.window = win;
  globalThis.BroadcastChannel = TrackedChannel;
  channels.length = 0;
  t.after(() => {
    delete globalThis.window;
    globalThis.BroadcastChannel = NodeChannel;
    for (const channel of channels) channel.close();
  });
  return { win, seen };
}

test('OAuthHandler: the popup flow (PKCE) gives the official result; either side may be the official one', async (t) => {
  const { clientId } = await oauthClient();
  const config = { clientId, redirectUri, apiURI };
  for (const [opener, page] of [
    [new edge.OAuthHandler(config), new edge.OAuthHandler(config)],
    [new official.OAuthHandler(config), new edge.OAuthHandler(config)],
    [new edge.OAuthHandler(config), new official.OAuthHandler(config)],
  ]) {
    await t.test(`${opener instanceof edge.OAuthHandler ? 'ours' : 'official'} opener, ${page instanceof edge.OAuthHandler ? 'ours' : 'official'} redirect page`, async (t) => {
      const { seen } = stubWindow(t, { redirectPage: page });
      const token = await opener.startClientOnlyFlow(['apps-read']);
      assert.deepEqual(Object.keys(token), ['token', 'expiresAt']);
      assert.match(token.token, /^pat_[0-9a-f]{64}$/);
      twoWeeksFromNow(token.expiresAt);
      assert.equal(await seen.done, true, 'the redirect page was told to close');
      assert.equal(seen.opened.length, 1);
      assert.equal(seen.opened[0].url, '', 'opened blank, then navigated');
      assert.match(seen.opened[0].name, /^instantdb_oauth_\d+$/);
      const start = new URL(seen.navigated);
      assert.equal(start.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(start.searchParams.get('scope'), 'apps-read');
      const info = await new edge.PlatformApi({ auth: { token: token.token }, apiURI }).tokenInfo();
      assert.equal(info.scopes, 'apps-read');
      if (opener instanceof edge.OAuthHandler) {
        const own = channels.filter((c) => c.name === start.searchParams.get('state'));
        assert.ok(own.length >= 1 && own.every((c) => c.closedByClient), 'our channels are closed');
      }
    });
  }
});

test('OAuthHandler: the popup of ours has the official size and place', async (t) => {
  const { clientId } = await oauthClient();
  const config = { clientId, redirectUri, apiURI };
  const features = [];
  for (const handler of [new edge.OAuthHandler(config), new official.OAuthHandler(config)]) {
    const { seen } = stubWindow(t, { blocked: true });
    await handler.startClientOnlyFlow(['apps-read']).catch(() => {});
    features.push(Object.fromEntries(seen.opened[0].features.split(',').map((f) => f.split('='))));
  }
  const [ours, theirs] = features;
  for (const key of ['width', 'height', 'left', 'top', 'toolbar', 'scrollbars', 'status', 'resizable']) assert.equal(ours[key], theirs[key], key);
  assert.deepEqual([ours.width, ours.height, ours.left, ours.top], ['800', '400', '250', '70']);
});

test('OAuthHandler: a blocked popup rejects with an InstantOAuthError (the official rejects a plain object)', async (t) => {
  const config = { clientId: 'c', redirectUri, apiURI };
  stubWindow(t, { blocked: true });
  const ours = await failure(new edge.OAuthHandler(config).startClientOnlyFlow(['apps-read']));
  assert.ok(ours instanceof edge.InstantOAuthError && ours instanceof Error);
  assert.equal(ours.error, 'Could not open Auth window');
  assert.equal(channels.length, 0, 'no channel left open');
  const theirs = await failure(new official.OAuthHandler(config).startClientOnlyFlow(['apps-read']));
  assert.ok(!(theirs instanceof Error));
  assert.deepEqual(theirs, { error: 'Could not open Auth window' });
  assert.equal(channels.filter((c) => !c.closedByClient).length, 1, 'the official one leaves its channel open');
});

test('OAuthHandler: an error redirect rejects with its error; an unknown scope rejects and closes the popup', async (t) => {
  const config = { clientId: 'c', redirectUri, apiURI };
  const handler = new edge.OAuthHandler(config);
  const { seen } = stubWindow(t, {
    redirectPage: handler,
    answer: (to) => ({ error: 'access_denied', error_description: 'The user said no', state: new URL(to).searchParams.get('state') }),
  });
  const denied = await failure(handler.startClientOnlyFlow(['apps-read']));
  assert.ok(denied instanceof edge.InstantOAuthError);
  assert.deepEqual([denied.error, denied.errorDescription, denied.message], ['access_denied', 'The user said no', 'OAuth error: access_denied (The user said no)']);
  assert.equal(await seen.done, true);

  const unknown = await failure(handler.startClientOnlyFlow(['apps-read', 'admin']));
  assert.ok(unknown instanceof edge.InstantOAuthError);
  assert.equal(unknown.error, 'invalid-argument');
  assert.equal(seen.opened.at(-1).popup.closed, true);
  assert.equal(seen.opened[0].popup.closed, true, 'a new flow closes the previous popup');
});

test('OAuthHandler: redirects of another state are ignored', async (t) => {
  const { clientId } = await oauthClient();
  const handler = new edge.OAuthHandler({ clientId, redirectUri, apiURI });
  let stray;
  const { seen } = stubWindow(t, {
    redirectPage: handler,
    answer: (to) => {
      // Another flow's redirect first: the opener must not take it.
      stray = new BroadcastChannel(new URL(to).searchParams.get('state'));
      stray.postMessage({ type: 'oauth-redirect', state: 'other', code: 'x', error: null, errorDescription: null });
      return redirectOf(to);
    },
  });
  const token = await handler.startClientOnlyFlow(['apps-read']);
  assert.match(token.token, /^pat_/);
  await seen.done;
  stray.close();
});

test('handleClientRedirect posts what the official posts, and throws as it does', async (t) => {
  const { win } = stubWindow(t);
  const state = crypto.randomUUID();
  win.location.href = `${redirectUri}?code=c1&state=${state}&scope=apps-read`;
  const posted = [];
  const listener = new BroadcastChannel(state);
  const got = new Promise((resolve) => (listener.onmessage = ({ data }) => posted.push(data) === 2 && resolve()));
  const config = { clientId: 'c', redirectUri, apiURI };
  const cleanups = [new edge.OAuthHandler(config).handleClientRedirect(), new official.OAuthHandler(config).handleClientRedirect()];
  await got;
  assert.deepStrictEqual(posted[0], posted[1]);
  assert.deepStrictEqual(posted[0], { type: 'oauth-redirect', state, error: null, errorDescription: null, code: 'c1' });
  // Told it is done, the page closes itself.
  listener.postMessage({ type: 'oauth-redirect-window-done' });
  for (let i = 0; i < 100 && !win.closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(win.closed, true);
  for (const cleanup of cleanups) cleanup();
  listener.close();

  win.location.href = `${redirectUri}?code=c1`;
  for (const Handler of [edge.OAuthHandler, official.OAuthHandler])
    assert.throws(() => new Handler(config).handleClientRedirect(), { message: 'Invalid redirect. The state param is missing.' });
});

test('outside a browser, OAuthHandler throws as the official one does', () => {
  assert.equal(globalThis.window, undefined);
  const config = { clientId: 'c', redirectUri, apiURI };
  for (const Handler of [edge.OAuthHandler, official.OAuthHandler]) {
    const handler = new Handler(config);
    assert.throws(() => handler.startClientOnlyFlow(['apps-read']), { message: 'OAuth flow can only be started on the client.' });
    assert.throws(() => handler.handleClientRedirect(), { message: 'This function may only be used in a browser context.' });
    assert.deepEqual([handler.clientId, handler.redirectUri, handler.apiURI], ['c', redirectUri, apiURI]);
  }
});
