// The Queues test worker (tests/e2e/queues.rs).
//
// One worker is the producer (env.QUEUE and friends, see wrangler.toml) and
// the consumer of every queue. The consumer records every batch it is given
// in `received` (module state: the queue() handler runs in the same isolate
// as fetch()), and acts on each message as its body says (see `consume`).
//
// GET /received answers {now, batches: [...]} (every batch so far, in the
// order they came; `?queue=<name>` keeps one queue's). GET /shape answers
// what the last batch and its messages looked like. GET /scenario/<name>
// runs one producer scenario and answers its report (200, JSON); a scenario
// that throws answers 500 with {uncaught: ...}.
//
// Values are reported in a tagged JSON form (see `enc`, as in
// tests/workers/kv/worker.js) so that undefined, Map, ArrayBuffer, Date ...
// can be compared exactly. Errors are {name, message}; where the message is
// the JavaScript engine's own (JSON.stringify of a BigInt, structured clone
// of a function) only {name} is reported. Only 7-bit ASCII here.

// ---------------------------------------------------------------------------
// Reporting helpers (as in tests/workers/kv/worker.js).

// A long string (over 40 characters) as "<its first character> x <length>".
const short = (v) => (typeof v === "string" && v.length > 40 ? `${v[0]} x ${v.length}` : v);

function enc(v) {
  if (v === undefined) return { undefined: null };
  if (v === null) return null;
  switch (typeof v) {
    case "string":
      return short(v);
    case "boolean":
      return v;
    case "bigint":
      return { BigInt: v.toString() };
    case "number":
      if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) {
        return { Number: Object.is(v, -0) ? "-0" : String(v) };
      }
      return v;
    case "function":
      return { function: v.name };
    case "symbol":
      return { symbol: String(v) };
  }
  if (v instanceof Date) return { Date: v.toISOString() };
  if (v instanceof Map) return { Map: [...v].map(([k, x]) => [enc(k), enc(x)]) };
  if (v instanceof Set) return { Set: [...v].map(enc) };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (v instanceof ReadableStream) return { ReadableStream: null };
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (v instanceof RegExp) return { RegExp: String(v) };
  if (v instanceof Error) return { Error: `${v.name}: ${v.message}` };
  if (Array.isArray(v)) return v.map(enc);
  const proto = Object.getPrototypeOf(v);
  const o = {};
  for (const k of Object.keys(v)) o[k] = enc(v[k]);
  if (proto === Object.prototype) return { Object: o };
  if (proto === null) return { "null-prototype": o };
  return { [`instance of ${proto?.constructor?.name}`]: o };
}

function errj(e) {
  if (!(e instanceof Error) && (typeof e !== "object" || e === null)) return { thrown: enc(e) };
  return { name: e.name, message: e.message };
}

// {ok: enc(value)} or {error: {name, message}}.
async function cap(fn) {
  try {
    return { ok: enc(sent(await fn())) };
  } catch (e) {
    return { error: errj(e) };
  }
}

// What send() and sendBatch() resolve to, {metadata: {metrics:
// {backlogCount, backlogBytes, oldestMessageTimestamp}}}, without the
// numbers (they depend on what the broker holds at that moment).
function sent(v) {
  if (typeof v !== "object" || v === null || !("metadata" in v)) return v;
  const m = v.metadata?.metrics;
  return {
    sent: {
      keys: Object.keys(v),
      metadataKeys: Object.keys(v.metadata ?? {}),
      metricsKeys: Object.keys(m ?? {}),
      counts: [typeof m?.backlogCount, typeof m?.backlogBytes],
      oldest: m?.oldestMessageTimestamp === undefined ? "undefined" : m?.oldestMessageTimestamp instanceof Date ? "Date" : typeof m?.oldestMessageTimestamp,
    },
  };
}

// How a call fails: {threw: error} when it throws at once, {rejected:
// error} when it answers a promise that rejects, {ok: value} otherwise.
// `nameOnly` reports errors by their name only.
async function how(fn, nameOnly) {
  const e = (x) => (nameOnly ? { name: x?.name } : errj(x));
  let p;
  try {
    p = fn();
  } catch (x) {
    return { threw: e(x) };
  }
  const isPromise = p instanceof Promise;
  try {
    const v = await p;
    return isPromise ? { ok: enc(sent(v)) } : { notPromise: enc(v) };
  } catch (x) {
    return { rejected: e(x) };
  }
}

// ---------------------------------------------------------------------------
// The consumer.
//
// A message's body says what the consumer does with it when the body is an
// object with a `do` array (other bodies are left alone: implicitly acked).
// The steps run in order, on every attempt up to `upTo` (all attempts when
// absent), and only on the queue `on` when the body names one:
//   "ack", "retry", "retry:N" (retry({delaySeconds: N})): on the message;
//   "ackAll", "retryAll", "retryAll:N": on the batch;
//   "throw": the handler throws (after every message's steps ran).
// Every batch is recorded before any step runs.

const received = [];
let lastShape = null;

function shapeOf(batch) {
  const m = batch.messages[0];
  return {
    batchKeys: Object.keys(batch).sort(),
    batchProto: Object.getOwnPropertyNames(Object.getPrototypeOf(batch)).sort(),
    batchTag: Object.prototype.toString.call(batch),
    messagesIsArray: Array.isArray(batch.messages),
    messagesFrozen: Object.isFrozen(batch.messages),
    sameMessages: batch.messages === batch.messages,
    messageKeys: Object.keys(m).sort(),
    messageProto: Object.getOwnPropertyNames(Object.getPrototypeOf(m)).sort(),
    messageTag: Object.prototype.toString.call(m),
    typeofQueue: typeof batch.queue,
    typeofId: typeof m.id,
    timestampIsDate: m.timestamp instanceof Date,
    typeofAttempts: typeof m.attempts,
    metadata: enc(batch.metadata),
  };
}

function metricsOf(batch) {
  const m = batch.metadata?.metrics;
  if (!m) return enc(batch.metadata);
  return {
    backlogCount: m.backlogCount,
    backlogBytes: m.backlogBytes,
    oldestIsDate: m.oldestMessageTimestamp instanceof Date,
  };
}

async function consume(batch, env, ctx) {
  const record = {
    queue: batch.queue,
    at: Date.now(),
    metrics: metricsOf(batch),
    messages: batch.messages.map((m) => ({
      id: m.id,
      timestamp: m.timestamp instanceof Date ? m.timestamp.getTime() : enc(m.timestamp),
      attempts: m.attempts,
      body: enc(m.body),
    })),
  };
  received.push(record);
  lastShape = shapeOf(batch);
  let fail = null;
  for (const m of batch.messages) {
    const body = m.body;
    if (typeof body !== "object" || body === null || !Array.isArray(body.do)) continue;
    if (body.upTo !== undefined && m.attempts > body.upTo) continue;
    if (body.on !== undefined && batch.queue !== body.on) continue;
    for (const step of body.do) {
      const [what, arg] = step.split(":");
      const options = arg === undefined ? undefined : { delaySeconds: Number(arg) };
      switch (what) {
        case "ack":
          m.ack();
          break;
        case "retry":
          m.retry(options);
          break;
        case "ackAll":
          batch.ackAll();
          break;
        case "retryAll":
          batch.retryAll(options);
          break;
        case "throw":
          fail = `consumer told to throw by ${body.t}`;
          break;
        default:
          throw new Error(`unknown step ${step}`);
      }
    }
  }
  if (fail) throw new Error(fail);
}

// ---------------------------------------------------------------------------
// Scenarios. Each gets env and the request's URL and returns its report.

const big = (n) => "x".repeat(n);
const texts = (n, size) => Array.from({ length: n }, () => ({ body: big(size), contentType: "text" }));

const scenarios = {
  // What env.QUEUE is.
  async binding(env) {
    const Q = env.QUEUE;
    if (Q === undefined) return { envKeys: Object.keys(env).sort() };
    const proto = Object.getPrototypeOf(Q);
    return {
      string: String(Q),
      tag: Object.prototype.toString.call(Q),
      typeof: typeof Q,
      constructor: Q.constructor.name,
      ownKeys: Object.keys(Q),
      methods: Object.getOwnPropertyNames(proto).sort(),
      typeofs: ["send", "sendBatch", "metrics"].map((m) => typeof Q[m]),
      envKeys: Object.keys(env).sort(),
      same: env.QUEUE === Q,
      distinct: env.QUEUE !== env.PAIRS,
      metrics: await cap(() => Q.metrics()),
    };
  },

  // Every content type, by send() and sendBatch(), and what they return.
  // The consumer of test-queue gets the messages in this order.
  async "send-types"(env) {
    const Q = env.QUEUE;
    const r = {};
    r.text = await cap(() => Q.send("hello", { contentType: "text" }));
    const sentBytes = new Uint8Array([1, 2, 255]);
    r.bytes = await cap(() => Q.send(sentBytes, { contentType: "bytes" }));
    // send() detaches the buffer of the view it was given; sendBatch() not.
    r.bytesDetached = sentBytes.byteLength === 0 && sentBytes.buffer.byteLength === 0;
    r.bytesView = await cap(() => Q.send(new Uint16Array([0x0102, 0x0304]).subarray(1), { contentType: "bytes" }));
    r.json = await cap(() => Q.send({ a: [1, "x", null], b: { c: true } }, { contentType: "json" }));
    r.jsonString = await cap(() => Q.send("just a string", { contentType: "json" }));
    r.v8 = await cap(() =>
      Q.send({ map: new Map([["k", 1]]), date: new Date(0), bytes: new Uint8Array([7]), big: 5n, set: new Set(["s"]) }, { contentType: "v8" }),
    );
    // No contentType: JSON (compatibility date 2024-03-18 on,
    // queues_json_messages), so a Date arrives as its ISO string.
    r.defaultType = await cap(() => Q.send({ when: new Date(0), n: 1 }));
    r.upperCase = await cap(() => Q.send("upper", { contentType: "TEXT" }));
    const batchBytes = new Uint8Array([9, 8]);
    r.batch = await cap(() =>
      Q.sendBatch([
        { body: "b-text", contentType: "text" },
        { body: batchBytes, contentType: "bytes" },
        { body: { b: "json" }, contentType: "json" },
        { body: [new Map([[1, 2]])], contentType: "v8" },
        { body: { b: "default" } },
      ]),
    );
    r.batchBytesKept = batchBytes.byteLength;
    return r;
  },

  // Calls that fail before anything is sent, or are refused by the queue.
  async "send-errors"(env) {
    const Q = env.QUEUE;
    const r = {};
    r.noArgument = await how(() => Q.send());
    r.undefined = await how(() => Q.send(undefined));
    r.badType = await how(() => Q.send("x", { contentType: "foo" }));
    r.nullType = await how(() => Q.send("x", { contentType: null }));
    r.textNumber = await how(() => Q.send(5, { contentType: "text" }));
    r.textObject = await how(() => Q.send({}, { contentType: "text" }));
    r.bytesArrayBuffer = await how(() => Q.send(new ArrayBuffer(2), { contentType: "bytes" }));
    r.bytesString = await how(() => Q.send("s", { contentType: "bytes" }));
    r.jsonFunction = await how(() => Q.send(() => 1, { contentType: "json" }));
    r.jsonSymbol = await how(() => Q.send(Symbol("s"), { contentType: "json" }));
    r.defaultFunction = await how(() => Q.send(function f() {}));
    r.jsonBigInt = await how(() => Q.send(1n, { contentType: "json" }), true);
    r.v8Function = await how(() => Q.send(() => 1, { contentType: "v8" }), true);
    r.optionsNotObject = await how(() => Q.send("x", "text"));
    r.batchEmpty = await how(() => Q.sendBatch([]));
    r.batchNoArgument = await how(() => Q.sendBatch());
    r.batchNotArray = await how(() => Q.sendBatch({ body: "x" }));
    r.batchUndefinedBody = await how(() => Q.sendBatch([{ body: "ok", contentType: "text" }, { body: undefined }]));
    r.batchNoBody = await how(() => Q.sendBatch([{ contentType: "text" }]));
    r.batchBadType = await how(() => Q.sendBatch([{ body: "x", contentType: "yaml" }]));
    r.batchTextNumber = await how(() => Q.sendBatch([{ body: 1, contentType: "text" }]));
    return r;
  },

  // The limits: a message of 128000 bytes, 100 messages and 288000 bytes
  // (Miniflare's; it says 256000) a batch, delays of 0 to 86400 s. What goes
  // over is refused by Miniflare's broker with a message workerd cannot
  // pass on, so every one of these errors reads the same.
  async limits(env) {
    const Q = env.QUEUE;
    const r = {};
    r.text128000 = await how(() => Q.send(big(128000), { contentType: "text" }));
    r.text128001 = await how(() => Q.send(big(128001), { contentType: "text" }));
    // JSON of a string: its quotes count.
    r.json127998 = await how(() => Q.send(big(127998), { contentType: "json" }));
    r.json127999 = await how(() => Q.send(big(127999), { contentType: "json" }));
    r.bytes128001 = await how(() => Q.send(new Uint8Array(128001), { contentType: "bytes" }));
    r.multibyte = await how(() => Q.send("\u00e9".repeat(64001), { contentType: "text" }));
    r.batch100 = await how(() => Q.sendBatch(texts(100, 1)));
    r.batch101 = await how(() => Q.sendBatch(texts(101, 1)));
    r.batchLargest128001 = await how(() => Q.sendBatch([...texts(1, 10), ...texts(1, 128001)]));
    r.batchTotal288000 = await how(() => Q.sendBatch([...texts(2, 128000), ...texts(1, 32000)]));
    r.batchTotal288001 = await how(() => Q.sendBatch([...texts(2, 128000), ...texts(1, 32001)]));
    r.delay0 = await how(() => Q.send("d0", { contentType: "text", delaySeconds: 0 }));
    r.delay86400 = await how(() => Q.send("d86400", { contentType: "text", delaySeconds: 86400 }));
    r.delay86401 = await how(() => Q.send("d86401", { contentType: "text", delaySeconds: 86401 }));
    r.delayNegative = await how(() => Q.send("dneg", { contentType: "text", delaySeconds: -1 }));
    r.delayFraction = await how(() => Q.send("dfrac", { contentType: "text", delaySeconds: 1.5 }));
    r.delayString = await how(() => Q.send("dstr", { contentType: "text", delaySeconds: "abc" }));
    r.delayHuge = await how(() => Q.send("dhuge", { contentType: "text", delaySeconds: 1e10 }));
    r.batchDelay86401 = await how(() => Q.sendBatch([{ body: "b", contentType: "text" }], { delaySeconds: 86401 }));
    r.batchMessageDelay86401 = await how(() => Q.sendBatch([{ body: "b", contentType: "text", delaySeconds: 86401 }]));
    r.batchMessageDelayNegative = await how(() => Q.sendBatch([{ body: "b", contentType: "text", delaySeconds: -1 }]));
    return r;
  },

  // pairs-queue (max_batch_size 2): five messages in one sendBatch.
  async pairs(env) {
    return await cap(() => env.PAIRS.sendBatch([1, 2, 3, 4, 5].map((i) => ({ body: { t: `p${i}` } }))));
  },

  // slow-queue (max_batch_size 3, max_batch_timeout 2): three messages sent
  // one by one fill a batch; one message alone waits for the timeout.
  async "slow-three"(env) {
    const sentAt = Date.now();
    for (const t of ["s1", "s2", "s3"]) await env.SLOW.send({ t });
    return { sentAt };
  },
  async "slow-one"(env) {
    const sentAt = Date.now();
    await env.SLOW.send({ t: "s4" });
    return { sentAt };
  },

  // defaults-queue (a consumer with no settings): seven messages in one
  // sendBatch, one of them retried on every attempt.
  async defaults(env) {
    const messages = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ body: { t: `d${i}` } }));
    messages[1].body.do = ["retry"];
    return await cap(() => env.DEFAULTS.sendBatch(messages));
  },

  // Per-message ack() and retry() in one batch of test-queue, on the first
  // attempt only.
  async acks(env) {
    const m = (t, steps) => ({ body: { t, do: steps, upTo: 1 } });
    return await cap(() =>
      env.QUEUE.sendBatch([
        m("ack", ["ack"]),
        m("retry", ["retry"]),
        m("nothing", []),
        m("ack-then-retry", ["ack", "retry"]),
        m("retry-then-ack", ["retry", "ack"]),
        m("retry-twice", ["retry", "retry"]),
        { body: "plain text", contentType: "text" },
      ]),
    );
  },

  // Batch-wide calls, each message in a batch of its own (single-queue:
  // max_batch_size 1), on the first attempt only.
  async "batch-calls"(env) {
    const m = (t, steps) => ({ body: { t, do: steps, upTo: 1 } });
    return await cap(() =>
      env.SINGLE.sendBatch([
        m("retryAll", ["retryAll"]),
        m("ackAll", ["ackAll"]),
        m("ackAll-then-retryAll", ["ackAll", "retryAll"]),
        m("retryAll-then-ackAll", ["retryAll", "ackAll"]),
        m("retryAll-then-ack", ["retryAll", "ack"]),
        m("ack-then-retryAll", ["ack", "retryAll"]),
        m("ackAll-then-retry", ["ackAll", "retry"]),
        m("retry-then-ackAll", ["retry", "ackAll"]),
      ]),
    );
  },

  // A handler that throws on the first attempt: the whole batch (three
  // messages, two of them acked before the throw) comes again.
  async throws(env) {
    return await cap(() =>
      env.QUEUE.sendBatch([
        { body: { t: "acked-1", do: ["ack"] } },
        { body: { t: "thrower", do: ["throw"], upTo: 1 } },
        { body: { t: "acked-2", do: ["ack"] } },
      ]),
    );
  },

  // retry-queue (max_retries 1, dead_letter_queue test-dlq): one message
  // retried on every attempt, one fine.
  async "dead-letter"(env) {
    return await cap(() =>
      env.RETRY.sendBatch([{ body: { t: "doomed", do: ["retry"], on: "retry-queue" } }, { body: { t: "fine" } }]),
    );
  },

  // drop-queue (max_retries 1, no dead-letter queue).
  async drop(env) {
    return await cap(() => env.DROP.send({ t: "dropped", do: ["retry"] }));
  },
  // A message sent after everything else of drop-queue (delaySeconds 1).
  async "drop-sentinel"(env) {
    return await cap(() => env.DROP.send({ t: "sentinel" }, { delaySeconds: 1 }));
  },

  // Delivery delays on single-queue (max_batch_size 1) and late-queue
  // (delivery_delay 1): answers when they were sent.
  async delays(env) {
    const sentAt = Date.now();
    const r = { sentAt };
    r.delayed2 = await cap(() => env.SINGLE.send({ t: "send-2s" }, { delaySeconds: 2 }));
    r.batch1 = await cap(() =>
      env.SINGLE.sendBatch(
        [{ body: { t: "batch-1s" } }, { body: { t: "batch-own-0s" }, delaySeconds: 0 }, { body: { t: "batch-own-2s" }, delaySeconds: 2 }],
        { delaySeconds: 1 },
      ),
    );
    r.now = await cap(() => env.SINGLE.send({ t: "now" }));
    r.late = await cap(() => env.LATE.send({ t: "late-default" }));
    r.lateZero = await cap(() => env.LATE.send({ t: "late-0s" }, { delaySeconds: 0 }));
    r.lateBatch = await cap(() => env.LATE.sendBatch([{ body: { t: "late-batch" } }]));
    return r;
  },

  // Retry delays: retry({delaySeconds}) and retryAll({delaySeconds}) on
  // single-queue, and slow-retry-queue's retry_delay (1 s).
  async "retry-delays"(env) {
    const r = {};
    r.retry = await cap(() => env.SINGLE.send({ t: "retry-1s", do: ["retry:1"], upTo: 1 }));
    r.retryAll = await cap(() => env.SINGLE.send({ t: "retryAll-2s", do: ["retryAll:2"], upTo: 1 }));
    r.retryZero = await cap(() => env.SINGLE.send({ t: "retry-0s", do: ["retry:0"], upTo: 1 }));
    r.configured = await cap(() => env.SLOWRETRY.send({ t: "retry-config", do: ["retry"], upTo: 1 }));
    r.configuredOverridden = await cap(() => env.SLOWRETRY.send({ t: "retry-config-0s", do: ["retry:0"], upTo: 1 }));
    return r;
  },

  // Persistence: a message due in 3 s (single-queue), sent before a restart;
  // and one sent after the restart.
  async "persist-before"(env) {
    return await cap(() => env.SINGLE.send({ t: "before-restart" }, { delaySeconds: 3 }));
  },
  async "persist-after"(env) {
    return await cap(() => env.SINGLE.send({ t: "after-restart" }, { delaySeconds: 3 }));
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/received") {
      const queue = url.searchParams.get("queue");
      const batches = queue === null ? received : received.filter((b) => b.queue === queue);
      return Response.json({ now: Date.now(), batches });
    }
    if (url.pathname === "/shape") return Response.json(lastShape);
    const match = url.pathname.match(/^\/scenario\/(.+)$/);
    const scenario = match && scenarios[decodeURIComponent(match[1])];
    if (!scenario) return new Response(`no such scenario: ${url.pathname}\n`, { status: 404 });
    try {
      return Response.json(await scenario(env, url));
    } catch (e) {
      return Response.json({ uncaught: errj(e), stack: String(e?.stack) }, { status: 500 });
    }
  },

  queue: consume,
};
