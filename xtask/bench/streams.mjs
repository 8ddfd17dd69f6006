// `cargo xtask bench` (streams): text stream throughput through the emulator's streams channel,
// our `db.streams` against the official @instantdb/admin's (pinned), in one Node process. Per
// round and client: a writer (`createWriteStream({ clientId })`, started: its stream id known)
// and a reader of the same client id on a second client handle (as a relay and a reader are
// two requests, each with its own channel); the clock starts at the first write of SIZE bytes in
// CHUNK-byte strings (`await write(chunk)` each, then `close()`) and stops when the reader has
// the last byte; what was read must equal what was written. The clients alternate which goes
// first each round, after a warm-up round. Prints a table; writes JSON to BENCH_OUT when set.
import { writeFileSync } from 'node:fs';
import { init as initEdge } from '../../pkg/node.js';
import { init as initOfficial } from '@instantdb/admin';

const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');
const scale = Number(process.env.BENCH_SCALE ?? 1);
const SIZE = 8 * 1024 * 1024;
const CHUNK = 64 * 1024;
const ROUNDS = 7 * scale;
const WARMUP = 1;

const answer = await fetch(`${apiURI}/__emulator/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
const { 'app-id': appId, 'admin-token': adminToken } = await answer.json();
const config = { appId, adminToken, apiURI };
const clients = {
  'instant-edge': { writer: initEdge(config), reader: initEdge(config) },
  '@instantdb/admin 1.0.67': { writer: initOfficial(config), reader: initOfficial(config) },
};

// ASCII, so characters are bytes; each chunk numbered, so a lost or repeated one shows.
const chunks = Array.from({ length: SIZE / CHUNK }, (_, i) => `${String(i).padStart(8, '0')}${'abcdefgh'.repeat(CHUNK / 8 - 1)}`);
const written = chunks.join('');

async function round(name, { writer: w, reader: r }, n) {
  const clientId = `bench-${name.replace(/\W/g, '')}-${n}-${crypto.randomUUID()}`;
  const stream = w.streams.createWriteStream({ clientId });
  await stream.streamId();
  const writer = stream.getWriter();
  const reader = r.streams.createReadStream({ clientId }).getReader();
  const start = performance.now();
  const reading = (async () => {
    const parts = [];
    let bytes = 0;
    let last;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      bytes += value.length;
      if (bytes >= SIZE && last === undefined) last = performance.now();
    }
    return { text: parts.join(''), last };
  })();
  for (const chunk of chunks) await writer.write(chunk);
  await writer.close();
  const closed = performance.now();
  const { text, last } = await reading;
  if (text !== written) throw new Error(`${name}: read ${text.length} bytes, not what was written (${SIZE})`);
  const ms = last - start;
  return { ms, mbPerS: SIZE / 1e6 / (ms / 1000), closeMs: closed - start };
}

const names = Object.keys(clients);
const runs = Object.fromEntries(names.map((name) => [name, []]));
for (let n = 0; n < WARMUP + ROUNDS; n += 1) {
  for (let k = 0; k < names.length; k += 1) {
    const name = names[(n + k) % names.length];
    const result = await round(name, clients[name], n);
    if (n >= WARMUP) runs[name].push(result);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(runs['@instantdb/admin 1.0.67'].map((r) => r.mbPerS));
const rows = names.map((arm) => ({
  arm,
  medianMBps: Number(median(runs[arm].map((r) => r.mbPerS)).toFixed(1)),
  medianMs: Number(median(runs[arm].map((r) => r.ms)).toFixed(1)),
  closeMs: Number(median(runs[arm].map((r) => r.closeMs)).toFixed(1)),
  allMBps: runs[arm].map((r) => Number(r.mbPerS.toFixed(1))),
  ratio: Number((median(runs[arm].map((r) => r.mbPerS)) / base).toFixed(3)),
}));
console.log(
  `\nstream write → read through the emulator, Node ${process.version}: ${SIZE / 2 ** 20} MiB in ${CHUNK / 1024} KiB chunks ` +
    `(${chunks.length} writes), ${ROUNDS} rounds per client after ${WARMUP} warm-up, order alternating; ` +
    'from the first write to the last byte read (MB = 10^6 bytes)',
);
console.log('| client | median throughput | median time | writer closed at | every round | vs official |');
console.log('|---|---:|---:|---:|---|---:|');
for (const row of rows) {
  console.log(`| ${row.arm} | ${row.medianMBps} MB/s | ${row.medianMs} ms | ${row.closeMs} ms | ${row.allMBps.join(', ')} | ${row.ratio.toFixed(3)} |`);
}
if (process.env.BENCH_OUT) {
  writeFileSync(process.env.BENCH_OUT, JSON.stringify({ benchmark: 'streams', node: process.version, size: SIZE, chunk: CHUNK, rounds: ROUNDS, rows }, null, 2));
}
// The official client keeps its channels open; nothing else is left to wait for.
process.exit(0);
