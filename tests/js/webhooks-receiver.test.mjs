// db.webhooks' receiver, ours and the official @instantdb/admin 1.0.67's side by side, against a
// key set served by a tiny local server (no emulator needed): an Ed25519 key pair made with Web
// Crypto, deliveries signed here. Both must give the same verdicts and messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { init as officialInit } from '@instantdb/admin';
import { init as edgeInit } from '../../pkg/node.js';

const APP = '8aa64e4c-64f9-472e-8a61-3fa28870e6cb';
const KID = '424242';
let server, apiURI, keys, other, jwksHits = 0;

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const sign = async (key, t, body) =>
  hex(await crypto.subtle.sign('Ed25519', key, new TextEncoder().encode(`${t}.${body}`)));
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  other = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const { x } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  server = createServer((req, res) => {
    if (req.url === '/.well-known/webhooks/jwks.json') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: KID, x }] }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'record-not-found', message: 'Not found' }));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiURI = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

const clients = () => [
  ['instant-edge', edgeInit({ appId: APP, adminToken: 'token', apiURI }).webhooks],
  ['@instantdb/admin', officialInit({ appId: APP, adminToken: 'token', apiURI }).webhooks],
];

const body = JSON.stringify({ payloadUrl: `${apiURI}/webhooks/payload/${APP}/w1/0/328/5307A1A0`, token: 'eyJ.a.b' });

const delivery = async ({ key = keys.privateKey, kid = KID, t = now(), text = body } = {}) =>
  `t=${t},kid=${kid},v1=${await sign(key, t, text)}`;

/** Runs `check` on both clients and compares their outcomes (value or error message). */
async function sameVerdict(label, check) {
  const outcomes = [];
  for (const [name, hooks] of clients()) {
    try {
      outcomes.push({ ok: await check(hooks) });
    } catch (error) {
      outcomes.push({ error: error.message, name: error.name, isError: error instanceof Error });
      void name;
    }
  }
  assert.deepEqual(outcomes[0], outcomes[1], label);
  return outcomes[0];
}

test('a valid delivery validates (validate and validateRequest), the key fetched once per client', async () => {
  const header = await delivery();
  const expected = JSON.parse(body);
  let out = await sameVerdict('validate', (h) => h.validate(header, body));
  assert.deepEqual(out.ok, expected);
  out = await sameVerdict('validate with a body function', (h) => h.validate(header, async () => body));
  assert.deepEqual(out.ok, expected);
  out = await sameVerdict('validateRequest', (h) =>
    h.validateRequest(new Request('http://example.com/hook', { method: 'POST', headers: { 'Instant-Signature': header }, body })));
  assert.deepEqual(out.ok, expected);
  // One fetch per client (each keeps its own process-wide cache), none after.
  assert.equal(jwksHits, 2);
});

test('refusals: the official verdicts and messages', async () => {
  const header = await delivery();
  const cases = [
    ['tampered body', (h) => h.validate(header, body.replace('5307A1A0', '5307A1A1')), 'Instant Signature did not validate'],
    ['a different key', async (h) => h.validate(await delivery({ key: other.privateKey }), body), 'Instant Signature did not validate'],
    ['unknown kid', async (h) => h.validate(await delivery({ kid: '1' }), body), 'Could not find matching signing key'],
    ['old timestamp', async (h) => h.validate(await delivery({ t: now() - 301 }), body), 'Webhook signature is too old'],
    ['old timestamp by receivedAt', (h) => h.validate(header, body, { receivedAt: new Date(Date.now() + 400_000) }), 'Webhook signature is too old'],
    ['missing t', (h) => h.validate('kid=1,v1=ab', body), 'Invalid Instant-Signature header.'],
    ['missing kid', (h) => h.validate('t=1,v1=ab', body), 'Invalid Instant-Signature header.'],
    ['missing v1', (h) => h.validate('t=1,kid=1', body), 'Invalid Instant-Signature header.'],
    ['empty header', (h) => h.validate('', body), 'Invalid Instant-Signature header.'],
    ['spaces are not trimmed', (h) => h.validate(header.replace(',kid', ', kid'), body), 'Invalid Instant-Signature header.'],
    ['no header on the request', (h) => h.validateRequest(new Request('http://example.com/hook', { method: 'POST', body })),
      'Request is missing Instant-Signature header'],
    ['bad hex in v1', (h) => h.validate(header.replace(/v1=../, 'v1=zz'), body), 'Instant Signature did not validate'],
  ];
  for (const [label, check, message] of cases) {
    const out = await sameVerdict(label, check);
    assert.equal(out.error, message, label);
    assert.equal(out.name, 'InstantError', label);
  }
});

test('tolerance: a larger one accepts an older delivery, and a future t passes', async () => {
  const old = await delivery({ t: now() - 400 });
  const out = await sameVerdict('tolerance 500', (h) => h.validate(old, body, { tolerance: 500 }));
  assert.deepEqual(out.ok, JSON.parse(body));
  const future = await delivery({ t: now() + 3600 });
  assert.ok((await sameVerdict('future', (h) => h.validate(future, body))).ok);
});

test('a signed body that is not {payloadUrl, token}', async () => {
  const text = JSON.stringify({ payloadUrl: 1, token: 'x' });
  const out = await sameVerdict('bad body', async (h) => h.validate(await delivery({ text }), text));
  assert.equal(out.error, 'Invalid webhook body, expected an object with payloadUrl and token fields');
});

test('instant-edge only: a non-numeric t is refused (the official client lets NaN pass the age check)', async () => {
  const [[, hooks]] = clients();
  const text = body;
  const header = `t=soon,kid=${KID},v1=${await sign(keys.privateKey, 'soon', text)}`;
  await assert.rejects(hooks.validate(header, text), { name: 'InstantError', message: 'Invalid Instant-Signature header.' });
});

test('processPayload: the official dispatch order, helpers() as there', async () => {
  const payload = { idempotencyKey: 'k', data: [
    { namespace: 'posts', action: 'create', id: 'p1' },
    { namespace: 'posts', action: 'delete', id: 'p2' },
    { namespace: 'tags', action: 'update', id: 't1' },
  ] };
  for (const [name, hooks] of clients()) {
    const seen = [];
    const { typedHandlers, combineHandlers } = hooks.helpers();
    const handlers = combineHandlers(
      typedHandlers('posts', 'create', (r) => seen.push(`create:${r.id}`)),
      typedHandlers('posts', '$default', (r) => seen.push(`posts:${r.id}`)),
      typedHandlers('$default', (r) => seen.push(`default:${r.id}`)),
    );
    await hooks.processPayload(handlers, payload);
    assert.deepEqual(seen, ['create:p1', 'posts:p2', 'default:t1'], name);
  }
});
