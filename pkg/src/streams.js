// `db.streams` (docs/streams.md): one channel per client handle, `POST /admin/sse` read here and
// `POST /admin/sse/push` sent here; the wasm `Channel` makes the request and reads the events but
// `stream-append`s, which are read here with the SSE text (`src/js/admin/streams.rs`). Writers and
// readers keep their byte offsets here, where their strings are: nothing is copied into wasm
// memory to be resent.
// Unlike @instantdb/admin (README "Departures"): a writer's `close()`/`abort()` while the channel
// is down is sent after the reconnect; `close()` resolves when the server confirmed the end;
// readers see an abort as an error whose message is the reason; a read without an id fails at
// once; text is decoded as one UTF-8 stream (a character split across chunks stays whole).

const encoder = new TextEncoder();
const utf8Length = (s) => encoder.encode(s).length;
const FATAL = [400, 401, 403, 404];
// Whether UTF-8 bytes ending in `tail` (at least their last 3) stop inside a character.
const partial = (tail) => {
  for (let i = tail.length - 1, k = 0; i >= 0 && k < 3; i -= 1, k += 1) {
    const b = tail[i];
    if ((b & 0xc0) !== 0x80) return k < (b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0);
  }
  return false;
};

// UTF-8 byte lengths without allocating (one scratch buffer, grown as needed).
let scratch = new Uint8Array(0);
const utf8Bytes = (s) => {
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3);
  return encoder.encodeInto(s, scratch).written;
};

// The channel's SSE text, decoded here rather than in the wasm (src/js/admin/streams.rs says
// why; the Rust API keeps src/sse.rs): the same rules, only `data:` kept. `push(bytes)` returns
// the data of the events those bytes completed.
class Sse {
  decoder = new TextDecoder();
  parts = []; // of the line being read: a long event (a whole stream) comes in many pieces, joined once
  cr = false; // the text so far ends in CR: a leading LF belongs to it
  data = undefined;

  push(bytes) {
    let text = this.decoder.decode(bytes, { stream: true });
    if (!text) return [];
    if (this.cr && text[0] === '\n') text = text.slice(1);
    this.cr = text.endsWith('\r');
    if (!/[\r\n]/.test(text)) {
      this.parts.push(text);
      return [];
    }
    const lines = (this.parts.join('') + text).split(/\r\n?|\n/);
    this.parts = [lines.pop()];
    const out = [];
    for (const line of lines) {
      if (!line) {
        if (this.data !== undefined) out.push(this.data);
        this.data = undefined;
      } else if (/^data(:|$)/.test(line)) {
        const value = line.slice(line[5] === ' ' ? 6 : 5);
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
      }
    }
    return out;
  }
}

const str = (v) => (typeof v === 'string' ? v : null);
const count = (v) => (typeof v === 'number' && v >= 0 ? Math.floor(v) : 0);

// One event's data as the wasm `Channel.data` arrays; a `stream-append` read here.
const eventsOf = (channel, data) => {
  let m;
  try {
    m = JSON.parse(data);
  } catch {}
  if (m?.op !== 'stream-append') return channel.data(data); // or its error
  const files = Array.isArray(m.files) ? m.files.map((f) => [str(f?.url) ?? '', count(f?.size)]) : [];
  return [[4, str(m['client-event-id']) ?? '', count(m.offset), str(m.content), files, !!m.done, str(m['abort-reason']), !!m.error, !!m.retry, str(m['stream-id']) ?? '']];
};

class Channel {
  constructor(client, kit) {
    Object.assign(this, { client, kit, users: new Set(), queue: [], session: undefined, running: false });
  }

  add(user) {
    this.users.add(user);
    if (this.session) user.connected();
    if (!this.running) this.run();
  }

  // The channel closes once no stream uses it.
  remove(user) {
    this.users.delete(user);
    if (!this.users.size) this.abort?.();
  }

  send(message) {
    if (!this.session) return; // the user's handshake after the next sse-init resends it
    message['client-event-id'] ??= this.kit.id();
    this.queue.push(message);
    this.flush();
  }

  // At most one push in flight; what queues meanwhile goes together in the next.
  async flush() {
    if (this.pushing) return;
    this.pushing = true;
    while (this.queue.length && this.session) {
      const session = this.session;
      const messages = this.queue.splice(0);
      try {
        const response = await fetch(this.pushUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...session, messages }),
        });
        response.body?.cancel().catch(() => {});
        if (!response.ok) throw new Error(response.status);
      } catch {
        if (this.session === session) this.abort?.(); // the channel reconnects; users redo their handshakes
      }
    }
    this.pushing = false;
  }

  failAll(error) {
    for (const user of [...this.users]) user.fail(error);
  }

  async run() {
    this.running = true;
    let channel;
    try {
      channel = this.client.streamChannel();
      const [url, method, headers, body, pushUrl] = channel.request();
      this.pushUrl = pushUrl;
      let backoff = 0;
      while (this.users.size) {
        const controller = new AbortController();
        // No sse-init within 10 s: try again, as the official client does.
        const timer = setTimeout(() => this.session || controller.abort(), 10000);
        this.abort = () => controller.abort();
        try {
          const response = await fetch(url, { method, headers, body, signal: controller.signal });
          if (response.status !== 200) {
            const text = await response.text();
            if (FATAL.includes(response.status)) {
              let parsed;
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = { message: text };
              }
              this.failAll(new this.kit.InstantAPIError({ status: response.status, body: parsed }));
              break;
            }
          } else {
            const sse = new Sse();
            const reader = response.body.getReader();
            while (this.users.size) {
              const { done, value } = await reader.read();
              if (done) break;
              for (const event of sse.push(value).flatMap((data) => eventsOf(channel, data))) {
                if (event[0] === 0) {
                  backoff = 0;
                  this.queue = [];
                  this.session = { machine_id: event[1], session_id: event[2], sse_token: event[3] };
                  for (const user of [...this.users]) user.connected();
                } else if (event[0] === 6) {
                  throw event[1];
                } else {
                  for (const user of [...this.users]) user.event(event);
                }
              }
            }
          }
        } catch {
          // A dropped connection or a failed fetch: reconnect below.
        } finally {
          clearTimeout(timer);
          controller.abort();
          this.session = undefined;
          this.queue = [];
        }
        if (!this.users.size) break;
        for (const user of [...this.users]) user.disconnected();
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(15000, Math.max(backoff, 500) * 2);
      }
    } catch (error) {
      this.failAll(this.kit.fix(error));
    } finally {
      channel?.free();
      this.running = false;
      this.abort = undefined;
    }
  }
}

const deferred = () => {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {});
  return { promise, resolve, reject };
};

class Writer {
  constructor(channel, clientId, ruleParams) {
    Object.assign(this, { channel, clientId, ruleParams, token: channel.kit.id(), chunks: [], bufferOffset: 0, buffered: 0 });
    Object.assign(this, { ready: false, startedOnce: false, ending: undefined, done: false });
    this.id = deferred(); // the stream id
    this.finished = deferred(); // the final flush, or the error
  }

  get total() {
    return this.bufferOffset + this.buffered;
  }

  connected() {
    this.ready = false;
    this.startId = this.channel.kit.id();
    this.channel.send({
      op: 'start-stream',
      'client-event-id': this.startId,
      'client-id': this.clientId,
      'reconnect-token': this.token,
      ...(this.ruleParams && { 'rule-params': this.ruleParams }),
    });
  }

  disconnected() {
    this.ready = false;
  }

  append(chunks, offset, done, reason) {
    const message = { op: 'append-stream', 'stream-id': this.streamId, chunks, offset, done };
    if (reason) message['abort-reason'] = reason;
    this.channel.send(message);
  }

  // Drops the chunks the server holds durably (up to byte `offset`).
  trim(offset) {
    while (this.chunks.length && this.bufferOffset + this.chunks[0][1] <= offset) {
      const [, n] = this.chunks.shift();
      this.bufferOffset += n;
      this.buffered -= n;
    }
    if (this.chunks.length && this.bufferOffset < offset) {
      // The durable end inside a chunk: keep its tail.
      const bytes = encoder.encode(this.chunks[0][0]).subarray(offset - this.bufferOffset);
      this.chunks[0] = [new TextDecoder().decode(bytes), bytes.length];
      this.buffered -= offset - this.bufferOffset;
      this.bufferOffset = offset;
    }
  }

  event(event) {
    const [type, a, b, c, d] = event;
    if (type === 1 && a === this.startId) {
      if (!this.startedOnce && c !== 0) return this.fail(new this.channel.kit.InstantError('Write stream is corrupted'));
      if (c > this.total) return this.fail(new this.channel.kit.InstantError('Write stream is corrupted'));
      this.startedOnce = true;
      this.streamId = b;
      this.id.resolve(b);
      this.trim(c);
      this.ready = true;
      if (this.chunks.length || this.ending)
        this.append(this.chunks.map(([s]) => s), this.bufferOffset, !!this.ending, this.ending?.reason);
    } else if (type === 2 && a === this.streamId) {
      this.trim(b);
      if (c) {
        this.done = true;
        this.channel.remove(this);
        this.finished.resolve();
      }
    } else if ((type === 3 && a === this.streamId) || (type === 5 && a === 'append-stream' && c === this.streamId)) {
      // The server lost unflushed bytes or refused an append: start again and resend.
      if (this.streamId && !this.done) this.connected();
    } else if (type === 5 && a === 'start-stream' && b === this.startId) {
      this.fail(this.channel.kit.fix(d));
    }
  }

  fail(error) {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.channel.remove(this);
    this.id.reject(error);
    this.finished.reject(error);
    this.controller?.error(error);
  }

  write(s) {
    if (this.error) throw this.error;
    if (this.done || this.ending) throw new this.channel.kit.InstantError('Stream has been closed.');
    if (typeof s !== 'string') throw new TypeError('createWriteStream takes strings');
    const n = utf8Length(s);
    const offset = this.total;
    this.chunks.push([s, n]);
    this.buffered += n;
    if (this.ready) this.append([s], offset, false);
  }

  end(reason) {
    if (this.done || this.ending) return this.finished.promise;
    this.ending = { reason };
    if (this.ready) this.append([], this.total, true, reason);
    return this.finished.promise;
  }
}

class Reader {
  constructor(channel, ref, byteOffset, ruleParams) {
    Object.assign(this, { channel, ref, seen: byteOffset, ruleParams, decoder: new TextDecoder(), work: Promise.resolve(), failures: 0 });
    // `clean`: the decoder was fed and holds no partial character (so its byte order mark check
    // is past); `tail`: the last bytes it was fed while not clean.
    Object.assign(this, { clean: false, tail: [] });
    this.id = deferred();
  }

  connected() {
    this.eventId = this.channel.kit.id();
    this.channel.send({
      op: 'subscribe-stream',
      'client-event-id': this.eventId,
      ...this.ref,
      ...(this.seen > 0 && { offset: this.seen }),
      ...(this.ruleParams && { 'rule-params': this.ruleParams }),
    });
  }

  disconnected() {
    this.eventId = undefined;
  }

  event(event) {
    if (event[0] === 5 && event[1] === 'subscribe-stream' && event[2] === this.eventId) return this.fail(this.channel.kit.fix(event[4]));
    if (event[0] !== 4 || event[1] !== this.eventId) return;
    const eventId = this.eventId;
    // In order, one at a time: a file part is fetched before what follows it.
    this.work = this.work.then(() => eventId === this.eventId && !this.closed && this.append(event));
  }

  // Delivers `bytes` that start at stream offset `offset`, skipping what was already seen.
  bytes(offset, bytes) {
    if (offset > this.seen) throw new this.channel.kit.InstantError('Stream is corrupted.');
    const fresh = bytes.subarray(Math.min(bytes.length, this.seen - offset));
    if (!fresh.length) return;
    this.seen += fresh.length;
    const text = this.decoder.decode(fresh, { stream: true });
    if (text) this.controller.enqueue(text);
    // The decoder holds nothing once what it was fed ends in a whole character.
    const tail = [...this.tail, ...fresh.subarray(-3)];
    this.clean = !partial(tail);
    this.tail = this.clean ? [] : tail.slice(-3);
  }

  async append([, , offset, content, files, done, reason, error, retry, streamId]) {
    const kit = this.channel.kit;
    try {
      if (streamId) this.id.resolve(streamId);
      if (error) {
        if (!retry) throw new kit.InstantError('Unable to process stream.');
        return this.resubscribe();
      }
      for (const [url, size] of files) {
        const response = await fetch(url).catch(() => undefined);
        if (!response?.ok) {
          if (++this.failures > 10) throw new kit.InstantError('Unable to process stream.');
          return this.resubscribe();
        }
        this.bytes(offset, new Uint8Array(await response.arrayBuffer()));
        offset += size;
      }
      this.failures = 0;
      if (content != null && this.clean && offset === this.seen) {
        // The common case, nothing seen twice and no character split: the text as it came.
        this.seen += utf8Bytes(content);
        if (content) this.controller.enqueue(content);
      } else if (content != null) this.bytes(offset, encoder.encode(content));
      if (done) {
        const rest = this.decoder.decode();
        if (rest) this.controller.enqueue(rest);
        this.closed = true;
        this.channel.remove(this);
        this.id.reject(new kit.InstantError('Stream is closed.'));
        // An aborted stream ends with its reason as the error (the official readers just end).
        if (reason != null) this.controller.error(new kit.InstantError(reason));
        else this.controller.close();
      }
    } catch (e) {
      this.fail(e);
    }
  }

  resubscribe() {
    this.attempts = (this.attempts ?? 0) + 1;
    setTimeout(() => !this.closed && this.channel.session && this.connected(), Math.min(15000, 500 * (this.attempts - 1)));
  }

  fail(error) {
    if (this.closed) return;
    this.closed = true;
    this.channel.remove(this);
    this.id.reject(error);
    this.controller.error(error);
  }

  cancel() {
    if (this.closed) return;
    this.closed = true;
    this.channel.remove(this);
    if (this.eventId) this.channel.send({ op: 'unsubscribe-stream', 'subscribe-event-id': this.eventId });
    this.id.reject(new this.channel.kit.InstantError('Stream is closed.'));
  }
}

// Reads `ruleParams` as JSON (a bad one is the caller's error, thrown).
const params = (ruleParams) => (ruleParams == null ? undefined : JSON.parse(JSON.stringify(ruleParams)));

/** `db.streams` over `client` (the wasm `Client`); `kit`: `{ InstantError, InstantAPIError, fix, id }`. */
export const streamsOf = (client, kit) => {
  let channel;
  const open = () => (channel ??= new Channel(client, kit));
  return {
    createWriteStream: ({ clientId, waitUntil, ruleParams } = {}) => {
      const writer = new Writer(open(), clientId, params(ruleParams));
      waitUntil?.(writer.finished.promise.catch(() => {}));
      const stream = new WritableStream({
        start: (controller) => {
          writer.controller = controller;
          if (typeof clientId !== 'string' || !clientId.trim()) {
            writer.fail(new kit.InstantError('clientId must be a non-empty string'));
          } else writer.channel.add(writer);
          return writer.id.promise;
        },
        write: (chunk) => writer.write(chunk),
        close: () => writer.end(),
        abort: (reason) => writer.end(reason instanceof Error ? reason.message : reason ? String(reason) : undefined),
      });
      stream.streamId = () => writer.id.promise;
      return stream;
    },
    createReadStream: ({ clientId, streamId, byteOffset = 0, ruleParams } = {}) => {
      const ref = streamId != null ? { 'stream-id': streamId } : clientId != null ? { 'client-id': clientId } : undefined;
      const reader = new Reader(open(), ref, byteOffset, params(ruleParams));
      const stream = new ReadableStream({
        start: (controller) => {
          reader.controller = controller;
          if (!ref) reader.fail(new kit.InstantError('Must provide one of streamId or clientId to subscribe to the stream.'));
          else reader.channel.add(reader);
        },
        cancel: () => reader.cancel(),
      });
      stream.streamId = () => reader.id.promise;
      return stream;
    },
  };
};
