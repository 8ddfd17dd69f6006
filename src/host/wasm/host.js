// The JS side of the wasm host: the I/O Rust asks of a JS runtime, each piece written once.
// Rust decides everything (requests, checks, retries, answers); this only moves bytes, so the
// wasm does not carry a binding, a shim and a closure per host call.

const agent = globalThis.navigator?.userAgent ?? '';
// Browsers (user agents `Mozilla/…`) refuse streamed request bodies over HTTP/1.1.
const streamsBodies = !agent.startsWith('Mozilla/');
// Node (undici), Deno and Bun reject `fetch` when a body stream fails midway; workerd ends the
// body cleanly instead (a truncated upload stored as a success), so there it is guarded.
const rejectsFailedBodies = /^(Node\.js|Deno|Bun)\//.test(agent);

/** What a thrown value says, with Node's `cause` ("fetch failed: connect ECONNREFUSED"). */
export function messageOf(error) {
  try {
    const text = (value) => (typeof value?.message === 'string' ? value.message : typeof value === 'string' ? value : undefined);
    const cause = text(error?.cause);
    return (text(error) ?? String(error)) + (cause ? `: ${cause}` : '');
  } catch {
    return 'an exception';
  }
}

/** The caller's value as JSON text, read once with `JSON.stringify`'s semantics whatever its
 * prototype or realm (`undefined` reads as `null`); throws what reading threw. */
export function jsonText(value) {
  const text = JSON.stringify(value) ?? 'null';
  // A short text is copied into the body in wasm memory; a long one's body takes this string.
  if (text.length <= LARGE) return text.length > 256 ? [NATIVE + text, text] : text;
  // Wasm memory never shrinks: a large argument enters it abridged (long strings elided, the
  // structure the checks read kept) and the body takes this whole text.
  return [NATIVE + JSON.stringify(value, elide), text];
}

const LARGE = 1 << 20;
// wasm-bindgen copies a string into wasm memory with a JS loop per character up to its first
// non-ASCII one, then with one native `encodeInto`: a leading U+0080 (which Rust drops) makes a
// long text take the native copy from the start (a 1,000-step transaction is ~75 KB).
const NATIVE = '\x80';
const elide = (key, value) => (typeof value === 'string' && value.length > 1024 && !value.startsWith('lookup__') ? '…' : value);

/** A request body from `pieces`: JSON text, and `[text, entriesOnly]` for the parts the host
 * holds (see `jsonText`), `entriesOnly` to continue an object (`{"a":1}` → `,"a":1`). */
function joinBody(pieces) {
  return pieces
    .map((piece) => {
      if (typeof piece === 'string') return piece;
      const [text, entriesOnly] = piece;
      if (!entriesOnly) return text;
      const inner = text.trim().slice(1, -1);
      return inner.trim() ? `,${inner}` : '';
    })
    .join('');
}

/** What kind of plain JSON `value` is: 0 null, 1 boolean, 2 number, 3 string, 4 array, 5 object
 * (one call instead of a probe per kind). */
export function kindOf(value) {
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
    case 'object':
      return value === null ? 0 : Array.isArray(value) ? 4 : 5;
    default:
      return 0;
  }
}

/** A plain object's keys and values, flat: `[key, value, key, value, ...]`. */
export function entries(object) {
  const out = [];
  for (const key of Object.keys(object)) out.push(key, object[key]);
  return out;
}

/** Calls `callback(argument)`; an exception is reported as the official client does. */
function callBack(callback, argument, label) {
  try {
    callback(argument);
  } catch (error) {
    console.error(`Error in ${label} callback`, error);
  }
}

// The header objects of the last few header lists, by their flat text.
const headerObjects = new Map();

/** The headers object of `flat` (`name\nvalue\n...`), the same object for the same text (it is
 * never changed: `Call` copies it before adding a header). */
export function headersFor(flat) {
  let headers = headerObjects.get(flat);
  if (headers === undefined) {
    const parts = flat.split('\n');
    headers = {};
    for (let i = 0; i + 1 < parts.length; i += 2) headers[parts[i]] = parts[i + 1];
    if (headerObjects.size === 8) headerObjects.delete(headerObjects.keys().next().value);
    headerObjects.set(flat, headers);
  }
  return headers;
}

/** How big an upload body is: its size, -1 for a stream, or -2 when it is no body we take.
 * Duck-typed as the official client does (`instanceof` fails across realms). */
export function bodySize(body) {
  if (typeof body?.getReader === 'function') return -1;
  if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return body.byteLength;
  if (typeof body?.stream === 'function' && typeof body.size === 'number') return body.size;
  return -2;
}

/** A Node `Readable` as a web stream (Node's `ReadableStream.from` takes any async iterable). */
export function fromNodeStream(body) {
  return typeof body?.pipe === 'function' && typeof body.read === 'function' && ReadableStream.from ? ReadableStream.from(body) : undefined;
}

/** One request: a timeout, the caller's signal and an abort when Rust drops the call or an
 * upload must stop. An `AbortController` is made only when something must abort the request:
 * the caller's signal, a drop, an upload. A timeout alone does not make one: in Node, a signal
 * on `fetch` costs ~20 µs per request (measured against the emulator: 420 vs 403 µs per small
 * query), so a call that times out without one stops waiting instead (see `send`). */
export class Call {
  constructor(timeout, signal, abortable, init) {
    this.init = init;
    this.controller = signal || abortable ? new AbortController() : undefined;
    this.settled = false;
    this.timedOut = false;
    this.signal = signal;
    this.sourceError = undefined;
    if (signal) {
      this.onAbort = () => this.controller.abort();
      signal.addEventListener('abort', this.onAbort);
    }
    if (timeout > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller?.abort();
        this.expire?.([0, 'timeout', '']);
      }, timeout);
    }
  }

  /** Why it failed: `[kind, message]`. */
  why(error) {
    if (this.timedOut) return ['timeout', ''];
    if (this.signal?.aborted) return ['aborted', ''];
    if (this.sourceError !== undefined) return ['network', `the upload source failed: ${messageOf(this.sourceError)}`];
    return ['network', messageOf(error)];
  }

  /** Ends the call's timer and listener; aborts unless it finished. */
  finish(abort) {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    if (abort && !this.settled) this.controller?.abort();
    this.settled = true;
  }

  /** Sends; resolves to `[status, retryAfter, json]` for a 200 with JSON (when `parse`),
   * `[status, retryAfter, undefined, text]` otherwise, `[status, null, undefined, undefined,
   * true]` for a streamed 200 (read it with `read`), or `[0, kind, message]` when no answer
   * came. Never rejects. */
  send(url, method, headers, body, stream, upload, parse = true) {
    const exchange = this.exchange(url, method, headers, body, stream, upload, parse);
    if (!this.timer || this.controller) return exchange;
    // No controller to abort with: at the deadline the call stops waiting, and the request is
    // left to finish unobserved (its late answer's body is cancelled in `exchange`).
    return Promise.race([exchange, new Promise((resolve) => (this.expire = resolve))]);
  }

  async exchange(url, method, headers, body, stream, upload, parse) {
    try {
      if (this.signal?.aborted) return [0, 'aborted', ''];
      // `headers` is shared by the client's calls: never changed here.
      // `init`: what `api.js` made of the caller's `fetchOpts`, its headers checked there.
      const extra = this.init?.headers;
      const init = { ...this.init, method, headers: extra ? { ...headers, ...extra } : headers, signal: this.controller?.signal };
      if (upload) await this.uploadBody(init, ...upload);
      else if (body !== undefined) init.body = typeof body === 'string' ? body : joinBody(body);
      const response = await fetch(url, init);
      if (this.timedOut && !this.controller) {
        response.body?.cancel().catch(() => {});
        return [0, 'timeout', ''];
      }
      this.finishUpload?.();
      const retryAfter = response.headers.get('retry-after');
      if (stream && response.status === 200 && response.body) {
        this.reader = response.body.getReader();
        return [200, retryAfter, undefined, undefined, true];
      }
      const text = await response.text();
      if (!stream) this.finish(false);
      if (response.status === 200 && parse) {
        try {
          return [200, retryAfter, JSON.parse(text)];
        } catch {}
      }
      return [response.status, retryAfter, undefined, text];
    } catch (error) {
      const [kind, message] = this.why(error);
      this.finish(false);
      return [0, kind, message];
    }
  }

  /** The next chunk of a streamed body: a `Uint8Array`, `null` at the end, or `[kind, message]`. */
  async read() {
    try {
      const { done, value } = await this.reader.read();
      return done ? null : value;
    } catch (error) {
      return this.why(error);
    }
  }

  /** Puts an upload's body on `init`: the host object as is, counted through a
   * `TransformStream` for progress, guarded where a failing stream would end the body cleanly,
   * gathered into a `Blob` where streams cannot be sent. */
  async uploadBody(init, body, size, isStream, onProgress) {
    let loaded = 0;
    const count = onProgress && ((n) => callBack(onProgress, { loaded: (loaded += n), total: size ?? null }, 'onProgress'));
    if (count && !isStream && streamsBodies) {
      body = new Response(body).body;
      isStream = true;
    } else if (count && !isStream) {
      // Sent whole by the browser, which reports no upload progress to `fetch`.
      count(0);
      this.finishUpload = () => count(size ?? 0);
    }
    if (isStream && count) {
      body = body.pipeThrough(new TransformStream({ transform: (chunk, controller) => (count(chunk.byteLength), controller.enqueue(chunk)) }));
    }
    if (isStream && !streamsBodies) {
      // Gathered into a Blob, which fails by itself when the source does.
      const through = new TransformStream();
      const piped = body.pipeTo(through.writable);
      try {
        body = await new Response(through.readable).blob();
      } catch (error) {
        this.sourceError = await piped.then(() => error, (cause) => cause);
        throw error;
      }
      isStream = false;
    } else if (isStream && !rejectsFailedBodies) {
      // workerd: a FixedLengthStream when the size is known (it then sends content-length and
      // fails a short body), else an identity stream; a source failure aborts the request.
      const through = size != null && typeof FixedLengthStream === 'function' ? new FixedLengthStream(size) : new TransformStream();
      init.signal = (this.controller ??= new AbortController()).signal;
      body.pipeTo(through.writable, { preventAbort: true }).catch((error) => {
        this.sourceError ??= error;
        this.controller?.abort();
      });
      body = through.readable;
    }
    if (isStream) {
      init.duplex = 'half';
      if (size != null && !('content-length' in init.headers)) init.headers = { ...init.headers, 'content-length': String(size) };
    }
    init.body = body;
  }
}

/** Runs one call of the npm build from its first `step`: `pending.next(answer)` (Rust) decides
 * each step — `[0, value]` done, `[3, json]` done with the value's JSON text, `[1, ms]` wait,
 * `[2, timeout, url, method, headers, body, upload, signal, whole, init]` send — and throws the call's
 * error; this only awaits. No Rust future is involved, so a call costs one promise chain, as a
 * plain `fetch` does. */
export async function drive(pending, step) {
  let log;
  try {
    for (;;) {
      if (step[0] === 0) return step[1];
      if (step[0] === 1) {
        say(log, 'retrying in', step[1], 'ms');
        await sleep(step[1]);
        step = pending.next(undefined);
      } else {
        // An upload must stop at its deadline: it gets a controller.
        log = step[9]?.[LOG] && [step[9][LOG], step[3], new URL(step[2]).pathname];
        say(log, 'sent');
        const answer = await new Call(step[1], step[7], step[6] !== undefined, step[9]).send(step[2], step[3], step[4], step[5], false, step[6], step[8]);
        say(log, 'answered', answer[0] || `${answer[1]} ${answer[2]}`);
        // A 200 with JSON, when Rust said it is the value as it is.
        if (step[8] && answer[0] === 200 && answer.length === 3) return answer[2];
        step = pending.next(answer);
        if (step[0] === 3) return JSON.parse(step[1]);
      }
    }
  } finally {
    pending.free();
  }
}

// The logger of `init({ verbose, logger })`, on the `fetch` init `api.js` makes (a symbol key:
// `fetch` reads only its own keys).
const LOG = Symbol.for('instant-edge.log');

/** `verbose`: one line of what a call does (`log`: `[logger, method, path]`; never a header, a
 * body or the query string). A throwing logger never fails the call. */
function say(log, ...what) {
  try {
    log?.[0].info('[instant-edge]', log[1], log[2], ...what);
  } catch {}
}

/** Runs a live query (`live`: the wasm `Live`, which decides what each event means) and hands
 * `sink` each payload: `{ type: 'ok', ... }` results, then `{ type: 'error', error }` if it
 * fails for good. Returns the handle: `close()` (aborts the stream; nothing follows) and
 * `isClosed` (also true once it failed). */
export function follow(live, sink) {
  let closed = false;
  let call;
  let timer;
  let wake;
  let log;
  const end = () => {
    if (!closed) say(log, 'live: closed');
    closed = true;
    call?.finish(true);
    clearTimeout(timer);
    wake?.();
  };
  const fail = (error) => {
    if (!closed) {
      end();
      sink({ type: 'error', error });
    }
  };
  (async () => {
    try {
      while (!closed) {
        const [url, method, headers, body, init] = live.request();
        log = init?.[LOG] && [init[LOG], method, new URL(url).pathname];
        call = new Call(0, undefined, true, init);
        const answer = await call.send(url, method, headers, body, true, undefined);
        if (closed) return;
        let wait;
        if (answer[0] === 200 && answer[4]) {
          say(log, 'live: open');
          live.opened();
          for (;;) {
            const chunk = await call.read();
            if (closed) return;
            // The end of the body, or a failed read: reconnect.
            if (chunk === null || Array.isArray(chunk)) {
              wait = live.dropped();
              break;
            }
            for (const payload of live.chunk(chunk)) {
              if (typeof payload !== 'string') return fail(payload);
              if (closed) continue;
              const parsed = JSON.parse(payload);
              // No page info from the server: `pageInfo` is undefined, as the official payload's.
              if (parsed.pageInfo === null) parsed.pageInfo = undefined;
              sink(parsed);
            }
          }
        } else if (answer[0] === 0) {
          wait = live.dropped();
        } else {
          wait = live.refused(answer);
          if (typeof wait !== 'number') return fail(wait);
        }
        call.finish(true);
        say(log, 'live: reconnecting in', wait, 'ms after', answer[0] || `${answer[1]} ${answer[2]}`);
        await new Promise((resolve) => ((wake = resolve), (timer = setTimeout(resolve, wait))));
      }
    } catch (error) {
      fail(error);
    } finally {
      live.free();
    }
  })();
  return {
    close: end,
    get isClosed() {
      return closed;
    },
  };
}

/** The JS error of a failed call, made in one host call: an `Error` named `InstantAPIError`
 * with `kind`, `status`, `body` and `hint` (JSON texts), `traceId` and, when reading an argument
 * threw, `cause` (pkg/src/api.js gives it the `InstantAPIError` prototype). */
export function makeError(message, kind, status, body, hint, traceId, cause, hasCause) {
  const error = new Error(message);
  error.name = 'InstantAPIError';
  error.kind = kind;
  error.status = status;
  error.body = JSON.parse(body);
  error.hint = hint === undefined ? undefined : JSON.parse(hint);
  error.traceId = traceId;
  if (hasCause) error.cause = cause;
  return error;
}

/** A step of `drive`, made in one host call. */
export function step(...parts) {
  return parts;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A random (v4) UUID. */
/** `n` random bytes (Web Crypto), for PKCE verifiers. */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** The SHA-256 digest of `bytes` (Web Crypto): resolves to a `Uint8Array`. */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

// Webhook signing keys imported by Web Crypto, by `<apiURI>:<kid>`, for the life of the process.
const webhookKeys = new Map();

/** The webhook key imported under `id`, or with `x` (a JWK's base64url Ed25519 key) a promise of
 * it imported and kept. */
export function webhookKey(id, x) {
  if (x === undefined) return webhookKeys.get(id);
  return crypto.subtle
    .importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x }, { name: 'Ed25519' }, false, ['verify'])
    .then((key) => (webhookKeys.set(id, key), key));
}

/** Whether `signature` is `key`'s Ed25519 signature of `message`: resolves to a boolean. */
export function verifyEd25519(key, signature, message) {
  return crypto.subtle.verify('Ed25519', key, signature, message);
}

export function randomId() {
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
