// A minimal reader of the Perfetto traces `workerd serve --perfetto-trace=FILE=workerd` writes:
// the track-event slices (name, start, duration in ms), enough for cold.mjs to read workerd's
// own timing of a Worker's start-up and first request. Perfetto's trace is protobuf: a `Trace`
// of `TracePacket`s (field 1); a packet carries a timestamp (8), a sequence id (10), a
// `TrackEvent` (11), interned strings (12), sequence flags (13), a clock id (58) and per-
// sequence defaults (59). Event names are interned per sequence; timestamps on clock 64 are
// deltas from the previous packet of the sequence (the SDK's incremental clock).
import { readFileSync } from 'node:fs';

function* fields(buf, start = 0, end = buf.length) {
  let at = start;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
  };
  while (at < end) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) yield [field, varint()];
    else if (wire === 1) yield [field, buf.readBigUInt64LE((at += 8) - 8)];
    else if (wire === 2) {
      const length = Number(varint());
      yield [field, [at, (at += length)]];
    } else if (wire === 5) yield [field, buf.readUInt32LE((at += 4) - 4)];
    else throw new Error(`perfetto trace: unknown wire type ${wire} at byte ${at}`);
  }
}

const INCREMENTAL_CLOCK = 64;
const [SLICE_BEGIN, SLICE_END] = [1, 2];

/** Every finished slice of the trace in `file`: `{ name, start, ms }`, start order. */
export function slices(file) {
  const buf = readFileSync(file);
  const sequences = new Map();
  const open = new Map();
  const done = [];
  for (const [field, range] of fields(buf)) {
    if (field !== 1) continue;
    const p = {};
    for (const [f, v] of fields(buf, ...range)) {
      if (f === 8) p.ts = v;
      else if (f === 10) p.seq = Number(v);
      else if (f === 11) p.event = v;
      else if (f === 12) p.interned = v;
      else if (f === 13) p.flags = Number(v);
      else if (f === 58) p.clock = Number(v);
      else if (f === 59) p.defaults = v;
    }
    let seq = sequences.get(p.seq);
    if (!seq || p.flags & 1) {
      // SEQ_INCREMENTAL_STATE_CLEARED: interned names and the incremental clock start over.
      seq = { names: new Map(), last: 0n, clock: seq?.clock };
      sequences.set(p.seq, seq);
    }
    if (p.defaults) for (const [f, v] of fields(buf, ...p.defaults)) if (f === 58) seq.clock = Number(v);
    if (p.interned) {
      for (const [f, entry] of fields(buf, ...p.interned)) {
        if (f !== 2) continue; // event_names
        let iid, name;
        for (const [g, v] of fields(buf, ...entry)) {
          if (g === 1) iid = Number(v);
          else if (g === 2) name = buf.toString('utf8', ...v);
        }
        seq.names.set(iid, name);
      }
    }
    if (!p.event) continue;
    let ts = p.ts ?? 0n;
    if ((p.clock ?? seq.clock) === INCREMENTAL_CLOCK) ts = seq.last += ts;
    const event = { ms: Number(ts) / 1e6, track: 0n };
    for (const [f, v] of fields(buf, ...p.event)) {
      if (f === 9) event.type = Number(v);
      else if (f === 10) event.name = seq.names.get(Number(v));
      else if (f === 23) event.name = buf.toString('utf8', ...v);
      else if (f === 11) event.track = v;
    }
    const key = `${p.seq}/${event.track}`;
    const stack = open.get(key) ?? [];
    open.set(key, stack);
    if (event.type === SLICE_BEGIN) stack.push(event);
    else if (event.type === SLICE_END && stack.length) {
      const begin = stack.pop();
      done.push({ name: begin.name, start: begin.ms, ms: event.ms - begin.ms });
    }
  }
  return done.sort((a, b) => a.start - b.start);
}
