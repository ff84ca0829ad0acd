// Queues: `env.QUEUE` for each `queues.producers` binding (a WorkerQueue
// with send and sendBatch), and the consumer side: a batch delivered by the
// process's broker (runtime/host/src/queues.rs) becomes the `batch` of the
// worker's `queue(batch, env, ctx)` handler, and what the handler did with
// each message (ack, retry, an exception) goes back to the broker. The
// checks, error texts and ack/retry rules are those of workerd's queue
// binding with wrangler dev's broker behind it.

(function () {
const { core, primordials } = __bootstrap;
const { op_queue_send, op_queue_consumed, op_queue_metrics } = core.ops;
const {
  ArrayBufferIsView,
  ArrayPrototypeMap,
  ArrayPrototypePush,
  Date,
  Error,
  JSONParse,
  JSONStringify,
  MathMax,
  MathTrunc,
  Number,
  NumberIsNaN,
  ObjectDefineProperty,
  SafeMap,
  SafeSet,
  String,
  StringPrototypeToLowerCase,
  Symbol,
  SymbolIterator,
  SymbolToStringTag,
  TypeError,
  Uint8Array,
} = primordials;

const { viewBytes } = core.loadExtScript("ext:kiln/websocket.js");
const { forgivingBase64Decode } = core.loadExtScript("ext:deno_web/00_infra.js");

const illegal = Symbol("illegal constructor");
const _queue = Symbol("queue");

// wrangler dev's broker limits (Miniflare's, which differ from the
// documented production ones: 288000 bytes a batch, delays to 86400 s).
const MAX_MESSAGE_BYTES = 128000;
const MAX_BATCH_COUNT = 100;
const MAX_BATCH_BYTES = 288000;
const MAX_DELAY_SECONDS = 86400;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const CONTENT_TYPES = ["text", "bytes", "json", "v8"];

let durableObjects = null;
let defaultContentType = "v8";
let waitForWaitUntil = true;

/** Set by dispatch.js: structured clone as Durable Object RPC does it. */
function configure(objects, flags) {
  durableObjects = objects;
  if (flags.has("queues_json_messages")) defaultContentType = "json";
  waitForWaitUntil = !flags.has("queue_consumer_no_wait_for_wait_until");
}

function contentTypeOf(type) {
  const lower = StringPrototypeToLowerCase(String(type));
  for (const known of CONTENT_TYPES) if (lower === known) return known;
  throw new TypeError(`Unsupported queue message content type: ${type}`);
}

/** The bytes of a message, or undefined for JSON that has no text. */
function serialize(body, contentType) {
  switch (contentType) {
    case "text":
      if (typeof body !== "string") {
        throw new TypeError(
          `Content Type "text" requires a value of type string, but received: ${typeof body}`,
        );
      }
      return core.encode(body);
    case "bytes":
      if (!ArrayBufferIsView(body)) {
        throw new TypeError(
          `Content Type "bytes" requires a value of type ArrayBufferView, but received: ${typeof body}`,
        );
      }
      return new Uint8Array(viewBytes(body));
    case "json": {
      const text = JSONStringify(body);
      return text === undefined ? undefined : core.encode(text);
    }
    default:
      return durableObjects.serializeOrDataCloneError(body, false);
  }
}

function deserialize(bytes, contentType) {
  switch (contentType) {
    case "text":
      return core.decode(bytes);
    case "bytes":
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    case "json":
      return JSONParse(core.decode(bytes));
    default:
      return durableObjects.deserializeValue(bytes, false);
  }
}

/** `delaySeconds` as workerd takes it: a 32-bit integer. */
function delayOf(value) {
  if (value === undefined) return undefined;
  let n = Number(value);
  if (NumberIsNaN(n)) n = 0;
  n = MathTrunc(n);
  if (!(n >= INT32_MIN && n <= INT32_MAX)) {
    throw new TypeError("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).");
  }
  return n;
}

function checkDelay(delay, fail) {
  if (delay < 0 || delay > MAX_DELAY_SECONDS) {
    throw fail(`message delay ${delay} is invalid: it must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}`);
  }
}

/**
 * What send() and sendBatch() resolve to. The backlog's oldest timestamp
 * is absent there, as wrangler dev's producer reports it.
 */
function sendResult(metrics) {
  return {
    metadata: {
      metrics: { ...metricsResult(metrics), oldestMessageTimestamp: undefined },
    },
  };
}

function metricsResult(metrics) {
  return {
    backlogCount: metrics.backlogCount,
    backlogBytes: metrics.backlogBytes,
    oldestMessageTimestamp: metrics.oldestMessageTimestamp === null || metrics.oldestMessageTimestamp === undefined
      ? undefined
      : new Date(metrics.oldestMessageTimestamp),
  };
}

/** The bytes of a body for the size limits (JSON without text counts 9, as "undefined"). */
function sizeOf(bytes) {
  return bytes === undefined ? 9 : bytes.byteLength;
}

class WorkerQueue {
  constructor(key, queue, deliveryDelay) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_queue] = { name: queue, deliveryDelay: deliveryDelay ?? 0 };
  }

  async send(...args) {
    const fail = (message) => new Error(`Queue send failed: ${message}`);
    if (args.length === 0) {
      throw new TypeError("Failed to execute 'send' on 'WorkerQueue': parameter 1 is not of type 'JsValue'.");
    }
    const [body, options] = args;
    if (options !== undefined && options !== null && typeof options !== "object") {
      throw new TypeError("Failed to execute 'send' on 'WorkerQueue': parameter 2 is not of type 'SendOptions'.");
    }
    const ownDelay = delayOf(options?.delaySeconds);
    if (body === undefined) throw new TypeError("Message body cannot be undefined");
    const contentType = options?.contentType === undefined
      ? defaultContentType
      : contentTypeOf(options.contentType);
    const bytes = serialize(body, contentType);
    // workerd hands the view's buffer over to the message.
    if (contentType === "bytes") detach(body);
    const queue = this[_queue];
    // A queue nobody consumes takes anything and keeps nothing.
    if (!op_queue_consumed(queue.name)) return sendResult(op_queue_metrics(queue.name));
    if (sizeOf(bytes) > MAX_MESSAGE_BYTES) {
      throw fail(`message length of ${sizeOf(bytes)} bytes exceeds limit of ${MAX_MESSAGE_BYTES}`);
    }
    if (bytes === undefined) throw fail("the message body has no JSON form");
    const delay = ownDelay ?? queue.deliveryDelay;
    checkDelay(delay, fail);
    const metrics = op_queue_send(queue.name, [[contentType, bytes, delay]]);
    return sendResult(metrics);
  }

  async sendBatch(...args) {
    const fail = (message) => new Error(`Queue sendBatch failed: ${message}`);
    const [messages, options] = args;
    if (messages === null || messages === undefined || typeof messages[SymbolIterator] !== "function" || typeof messages === "string") {
      throw new TypeError(
        "Failed to execute 'sendBatch' on 'WorkerQueue': parameter 1 is not of type 'Sequence'.",
      );
    }
    const list = [...messages];
    const batchDelay = delayOf(options?.delaySeconds);
    const delays = ArrayPrototypeMap(list, (m) => delayOf(m?.delaySeconds));
    if (list.length === 0) throw new TypeError("sendBatch() requires at least one message");
    const out = [];
    let total = 0;
    let largest = 0;
    for (let i = 0; i < list.length; i++) {
      const message = list[i];
      if (message?.body === undefined) throw new TypeError("Message body cannot be undefined");
      const contentType = message.contentType === undefined
        ? defaultContentType
        : contentTypeOf(message.contentType);
      const bytes = serialize(message.body, contentType);
      total += sizeOf(bytes);
      largest = MathMax(largest, sizeOf(bytes));
      ArrayPrototypePush(out, [contentType, bytes, delays[i]]);
    }
    const queue = this[_queue];
    if (!op_queue_consumed(queue.name)) return sendResult(op_queue_metrics(queue.name));
    if (list.length > MAX_BATCH_COUNT) {
      throw fail(`batch message count of ${list.length} exceeds limit of ${MAX_BATCH_COUNT}`);
    }
    if (largest > MAX_MESSAGE_BYTES) {
      throw fail(
        `message in batch has length ${largest} bytes which exceeds single message size limit of ${MAX_MESSAGE_BYTES}`,
      );
    }
    if (total > MAX_BATCH_BYTES) {
      throw fail(`batch size of ${total} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
    }
    for (const message of out) {
      if (message[1] === undefined) throw fail("a message body has no JSON form");
      message[2] = message[2] ?? batchDelay ?? queue.deliveryDelay;
      checkDelay(message[2], fail);
    }
    const metrics = op_queue_send(queue.name, out);
    return sendResult(metrics);
  }

  async metrics() {
    return metricsResult(op_queue_metrics(this[_queue].name));
  }

  get [SymbolToStringTag]() {
    return "WorkerQueue";
  }
}

/** Detaches the buffer under `view`, as transferring it would. */
function detach(view) {
  try {
    view.buffer.transfer();
  } catch {
    // A buffer that cannot be transferred (a shared one) stays.
  }
}

// ---------------------------------------------------------------------------
// The consumer.

const _result = Symbol("result");

/** What the handler did, shared by a batch and its messages. */
function newResult() {
  return {
    ackAll: false,
    retryAll: false,
    retryAllDelay: undefined,
    acks: new SafeSet(),
    retries: new SafeMap(),
  };
}

class QueueMessage {
  constructor(key, result, id, timestamp, body, attempts) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    ObjectDefineProperty(this, _result, { value: result });
    this.id = id;
    this.timestamp = timestamp;
    this.body = body;
    this.attempts = attempts;
  }
  retry(options = undefined) {
    const result = this[_result];
    if (result.ackAll) {
      console.warn(
        `Received a call to retry() on message ${this.id} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.`,
      );
      return;
    }
    if (result.acks.has(this.id)) {
      console.warn(
        `Received a call to retry() on message ${this.id} after ack() was already called. Calling retry() on a message after calling ack() has no effect.`,
      );
      return;
    }
    result.retries.set(this.id, delayOf(options?.delaySeconds));
  }
  ack() {
    const result = this[_result];
    if (result.ackAll) return;
    if (result.retryAll) {
      console.warn(
        `Received a call to ack() on message ${this.id} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.`,
      );
      return;
    }
    if (result.retries.has(this.id)) {
      console.warn(
        `Received a call to ack() on message ${this.id} after retry() was already called. Calling ack() on a message after calling retry() has no effect.`,
      );
      return;
    }
    result.acks.add(this.id);
  }
  get [SymbolToStringTag]() {
    return "QueueMessage";
  }
}

class QueueController {
  constructor(key, result, queue, messages, metadata) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    ObjectDefineProperty(this, _result, { value: result });
    this.queue = queue;
    // A fresh array at every read, as in workerd.
    ObjectDefineProperty(this, "messages", {
      get: () => [...messages],
      enumerable: true,
      configurable: true,
    });
    this.metadata = metadata;
  }
  retryAll(options = undefined) {
    const result = this[_result];
    if (result.ackAll) {
      console.warn(
        "Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.",
      );
      return;
    }
    result.retryAll = true;
    result.retryAllDelay = delayOf(options?.delaySeconds);
  }
  ackAll() {
    const result = this[_result];
    if (result.retryAll) {
      console.warn(
        "Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.",
      );
      return;
    }
    result.ackAll = true;
  }
  get [SymbolToStringTag]() {
    return "QueueController";
  }
}

/**
 * Turns a delivery (the broker's JSON) into a batch and runs `call(batch)`,
 * which runs the handler (and waits for its waitUntil() promises unless
 * `queue_consumer_no_wait_for_wait_until`). Answers the broker's verdict.
 */
async function runBatch(delivery, call) {
  const result = newResult();
  let outcome = "ok";
  try {
    const messages = ArrayPrototypeMap(delivery.messages, (m) => {
      const bytes = forgivingBase64Decode(m.body);
      return new QueueMessage(
        illegal,
        result,
        m.id,
        new Date(m.timestamp),
        deserialize(bytes, m.contentType),
        m.attempts,
      );
    });
    const metadata = { metrics: metricsResult(delivery.metrics) };
    await call(new QueueController(illegal, result, delivery.queue, messages, metadata), waitForWaitUntil);
  } catch (error) {
    console.error("Uncaught", error);
    outcome = "exception";
  }
  const retryMessages = [];
  for (const [msgId, delaySeconds] of result.retries) {
    ArrayPrototypePush(retryMessages, { msgId, delaySeconds });
  }
  return {
    outcome,
    ackAll: result.ackAll,
    retryBatch: { retry: result.retryAll, delaySeconds: result.retryAllDelay },
    explicitAcks: [...result.acks],
    retryMessages,
  };
}

/** `env[binding]` for each queue producer binding of the worker. */
function producers(facts) {
  const out = [];
  for (const { binding, queue, deliveryDelay } of facts) {
    ArrayPrototypePush(out, [binding, new WorkerQueue(illegal, queue, deliveryDelay)]);
  }
  return out;
}

return { configure, producers, runBatch, QueueController, QueueMessage, WorkerQueue };
})();
