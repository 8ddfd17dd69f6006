// `cargo xtask bench` (webhooks): what checking one delivery's signature costs a receiver once
// the signing key is cached, our `db.webhooks.validate` against the official @instantdb/admin's
// (pinned) and against Web Crypto's bare Ed25519 verify of the same bytes (the floor), in one
// Node process. The deliveries are real: a webhook registered to a node:http receiver on
// loopback, writes that trigger it, `POST /__emulator/webhooks/flush`, and each delivery's
// `Instant-Signature` header and raw body kept. Every arm then validates the same deliveries in
// turn; one sample is BATCH validations in a row (a single one is a few µs, under the timer's
// resolution), the arms interleaved with the order rotating per sample, after a warm-up (the
// first call of each client fetches the key set and imports the key: not timed). Prints a
// table; writes JSON to BENCH_OUT when set.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { init as initEdge, id } from '../../pkg/node.js';
import { init as initOfficial } from '@instantdb/admin';

const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');
const scale = Number(process.env.BENCH_SCALE ?? 1);
const DELIVERIES = 16;
const BATCH = 25;
const SAMPLES = 400 * scale;
const WARMUP = 40;

const control = async (path, body) => {
  const answer = await fetch(`${apiURI}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : '' });
  if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
  return answer.json();
};

// A receiver that keeps each delivery as it came (header and raw body) and answers 200.
const captured = [];
const receiver = createServer((req, res) => {
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    captured.push({ header: req.headers['instant-signature'], body: Buffer.concat(parts).toString('utf8') });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const sink = `http://127.0.0.1:${receiver.address().port}/hook`;

const { 'app-id': appId, 'admin-token': adminToken } = await control('/__emulator/apps', {});
const ours = initEdge({ appId, adminToken, apiURI });
const official = initOfficial({ appId, adminToken, apiURI });

// The namespace needs its attributes before a webhook can name it; then one write per delivery.
await ours.transact(ours.tx.benchHooks[id()].update({ n: -1, title: 'before the webhook' }));
const webhook = await ours.webhooks.manager.create({ url: sink, namespaces: ['benchHooks'], actions: ['create', 'update', 'delete'] });
for (let n = 0; n < DELIVERIES; n += 1) await ours.transact(ours.tx.benchHooks[id()].update({ n, title: `goal ${n}` }));
const flushed = await control('/__emulator/webhooks/flush?timeout-ms=20000');
if (!flushed.idle || captured.length !== DELIVERIES) {
  throw new Error(`expected ${DELIVERIES} deliveries, got ${captured.length} (flush: ${JSON.stringify(flushed)})`);
}
receiver.close();
const kid = /kid=([^,]+)/.exec(captured[0].header)[1];

// The floor: the same Ed25519 check with the key imported once, hex decoded by hand.
const jwks = await (await fetch(`${apiURI}/.well-known/webhooks/jwks.json`)).json();
const jwk = jwks.keys.find((key) => key.kid === kid);
const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
const encoder = new TextEncoder();
const hexBytes = (hex) => Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16));
const bare = async (header, body) => {
  const [, t, v1] = /t=(\d+),kid=[^,]+,v1=([0-9a-f]+)/.exec(header);
  if (!(await crypto.subtle.verify('Ed25519', key, hexBytes(v1), encoder.encode(`${t}.${body}`)))) throw new Error('bad signature');
  return JSON.parse(body);
};

const arms = {
  'instant-edge': (d) => ours.webhooks.validate(d.header, d.body),
  '@instantdb/admin 1.0.67': (d) => official.webhooks.validate(d.header, d.body),
  'Web Crypto verify + JSON.parse': (d) => bare(d.header, d.body),
};

// Both clients agree on every delivery, and both refuse a tampered one (this also caches the key).
for (const d of captured) {
  const answers = await Promise.all(Object.values(arms).map((arm) => arm(d)));
  if (new Set(answers.map((a) => JSON.stringify([a.payloadUrl, a.token]))).size !== 1) throw new Error('the arms disagree on a delivery');
}
const tampered = { header: captured[0].header, body: captured[0].body.replace('"token":"', '"token":"x') };
for (const [name, arm] of Object.entries(arms).slice(0, 2)) {
  const refused = await arm(tampered).then(() => null, (error) => error.message);
  if (refused !== 'Instant Signature did not validate') throw new Error(`${name} did not refuse a tampered body (${refused})`);
}
const payload = await ours.webhooks.fetchPayloads(await ours.webhooks.validate(captured[0].header, captured[0].body));
const officialPayload = await official.webhooks.fetchPayloads(await official.webhooks.validate(captured[0].header, captured[0].body));
if (JSON.stringify(payload) !== JSON.stringify(officialPayload)) throw new Error('fetchPayloads differs between the clients');

const list = Object.entries(arms);
const times = Object.fromEntries(list.map(([name]) => [name, []]));
let next = 0;
for (let sample = 0; sample < WARMUP + SAMPLES; sample += 1) {
  for (let k = 0; k < list.length; k += 1) {
    const [name, arm] = list[(sample + k) % list.length];
    const start = performance.now();
    for (let i = 0; i < BATCH; i += 1) await arm(captured[(next + i) % DELIVERIES]);
    const us = ((performance.now() - start) * 1000) / BATCH;
    if (sample >= WARMUP) times[name].push(us);
  }
  next += BATCH;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const p90 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)];
const base = median(times['@instantdb/admin 1.0.67']);
const rows = list.map(([arm]) => ({
  arm,
  medianUs: Number(median(times[arm]).toFixed(2)),
  p90Us: Number(p90(times[arm]).toFixed(2)),
  ratio: Number((median(times[arm]) / base).toFixed(3)),
}));
console.log(
  `\nwebhook signature check with a cached key, Node ${process.version}: ${DELIVERIES} real deliveries from the emulator ` +
    `(kid ${kid}, ${captured[0].body.length}-byte bodies), ${SAMPLES} samples of ${BATCH} validations per arm after ${WARMUP} warm-up, interleaved`,
);
console.log('| arm | median per validation | p90 | vs official |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.arm} | ${row.medianUs} µs | ${row.p90Us} µs | ${row.ratio.toFixed(3)} |`);
console.log(`payload of one delivery: ${payload.data.length} record(s), ${payload.data.map((r) => `${r.namespace} ${r.action} n=${r.after?.n}`).join(', ')}`);

await ours.webhooks.manager.delete(webhook.id);
if (process.env.BENCH_OUT) {
  const out = { benchmark: 'webhooks', node: process.version, deliveries: DELIVERIES, batch: BATCH, samples: SAMPLES, kid, rows };
  writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
}
