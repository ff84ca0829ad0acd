#!/usr/bin/env node
// The load generator of bench/soak.py: N WebSocket connections, all open at
// once, each sending M text messages through an echo server and checking
// that every echo comes back exactly once and in order.
//
// A raw RFC 6455 client on Node's `net`, nothing from npm. Phases:
//   connect    open the N connections in batches (--batch at a time), each
//              upgrade checked (101 and Sec-WebSocket-Accept); all of them
//              stay open
//   messaging  every connection sends "<conn>:<seq>" for seq 0..M-1 as
//              masked text frames, at most --window in flight, and checks
//              each echo: from its own connection, a sequence number it
//              sent, not seen before (else duplicated), not lower than one
//              already seen (else reordered)
//   closing    every connection sends a Close (1000) and waits for the
//              server's Close and the end of the TCP connection
// Progress goes to stderr ("phase NAME" when a phase starts, "progress ..."
// every 2 s); the verdict is one JSON line on stdout. Every wait has a
// deadline: a connection that stalls is an error, never a hang. Exit status
// 1 on any loss, reordering, duplicate, unexpected message or error.
//
//   node bench/soak.js --port P [--host 127.0.0.1] [--connections 10000]
//        [--messages 100] [--window 10] [--batch 500] [--deadline 840]

"use strict";

const net = require("net");
const crypto = require("crypto");

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_ERRORS_KEPT = 20;

function parseArgs(argv) {
  const opts = {
    host: "127.0.0.1", port: 0, connections: 10000, messages: 100, window: 10, batch: 500,
    deadline: 840,          // seconds, the whole run
    handshakeTimeout: 30,   // seconds, one upgrade
    stallTimeout: 60,       // seconds without any echo anywhere ends the messaging phase
    closeTimeout: 30,       // seconds, the closing phase
  };
  const names = { "--host": "host", "--port": "port", "--connections": "connections", "--messages": "messages",
    "--window": "window", "--batch": "batch", "--deadline": "deadline", "--handshake-timeout": "handshakeTimeout",
    "--stall-timeout": "stallTimeout", "--close-timeout": "closeTimeout" };
  for (let i = 2; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) {
      process.stderr.write(`soak.js: unknown or incomplete argument ${argv[i]}\n`);
      process.exit(2);
    }
    opts[key] = key === "host" ? argv[i + 1] : Number(argv[i + 1]);
    if (key !== "host" && !(opts[key] >= 0)) {
      process.stderr.write(`soak.js: ${argv[i]} wants a number, not ${argv[i + 1]}\n`);
      process.exit(2);
    }
  }
  if (!opts.port) {
    process.stderr.write("soak.js: --port is required\n");
    process.exit(2);
  }
  opts.window = Math.max(1, opts.window);
  opts.batch = Math.max(1, opts.batch);
  return opts;
}

const opts = parseArgs(process.argv);
const started = Date.now();
const hardDeadline = started + opts.deadline * 1000;

const stats = {
  connections_requested: opts.connections,
  connections_opened: 0,
  max_open_at_once: 0,
  messages_per_connection: opts.messages,
  window: opts.window,
  messages_sent: 0,
  messages_echoed: 0,   // distinct messages that came back
  lost: 0,
  reordered: 0,
  duplicated: 0,
  unexpected: 0,
  close_handshakes_completed: 0,
  tcp_closed_after_close: 0,
  error_count: 0,
  errors: [],
  durations_ms: {},
};
let openNow = 0;
let phase = "start";

function error(text) {
  stats.error_count++;
  if (stats.errors.length < MAX_ERRORS_KEPT) stats.errors.push(text);
}

function setPhase(name) {
  phase = name;
  process.stderr.write(`phase ${name} t=${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

// Masking keys from a pool of random bytes, refilled as it runs out.
const maskPool = Buffer.allocUnsafe(64 * 1024);
let maskAt = maskPool.length;
function maskKey() {
  if (maskAt + 4 > maskPool.length) {
    crypto.randomFillSync(maskPool);
    maskAt = 0;
  }
  maskAt += 4;
  return maskPool.subarray(maskAt - 4, maskAt);
}

// A masked client frame (FIN set) with this opcode and payload.
function frame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = maskKey();
  mask.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

class Conn {
  constructor(id) {
    this.id = id;
    this.state = "connecting"; // connecting, open, closing, closed, failed
    this.buf = null;
    this.handshakeDone = false;
    this.key = crypto.randomBytes(16).toString("base64");
    this.sent = 0;
    this.received = 0;         // distinct echoes
    this.highest = -1;         // highest sequence number echoed so far
    this.seen = null;          // one byte per message, once messaging starts
    this.fragments = null;     // payloads of a fragmented message
    this.fragmentOpcode = 0;
    this.out = [];             // frames to write at the end of this turn
    this.closeSent = false;
    this.closeReceived = false;
    this.onOpen = null;
    this.onDone = null;        // messaging complete
    this.onClosed = null;      // close handshake and TCP end, or failure
    this.done = false;
    this.ended = false;
  }

  connect() {
    return new Promise((resolve) => {
      this.onOpen = resolve;
      this.timer = setTimeout(() => this.fail(`upgrade took over ${opts.handshakeTimeout} s`), opts.handshakeTimeout * 1000);
      const s = net.connect({ host: opts.host, port: opts.port });
      this.sock = s;
      s.setNoDelay(true);
      s.on("connect", () => {
        s.write(`GET / HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      s.on("data", (chunk) => this.onData(chunk));
      s.on("error", (e) => this.fail(`socket error: ${e.code || e.message}`));
      s.on("close", () => this.onSocketClose());
    });
  }

  settleOpen(ok) {
    if (this.onOpen) {
      clearTimeout(this.timer);
      const f = this.onOpen;
      this.onOpen = null;
      f(ok);
    }
  }

  fail(reason) {
    if (this.state === "failed" || this.state === "closed") return;
    const was = this.state;
    this.state = "failed";
    error(`connection ${this.id} (${was}, sent ${this.sent}, echoed ${this.received}): ${reason}`);
    if (was !== "connecting") openNow--;
    this.sock.destroy();
    this.settleOpen(false);
    this.finish();
    this.closed();
  }

  finish() {
    if (!this.done) {
      this.done = true;
      if (this.onDone) this.onDone();
    }
  }

  closed() {
    if (this.onClosed) {
      const f = this.onClosed;
      this.onClosed = null;
      f();
    }
  }

  onSocketClose() {
    this.ended = true;
    if (this.state === "closing" && this.closeReceived) {
      this.state = "closed";
      openNow--;
      stats.tcp_closed_after_close++;
      this.closed();
    } else if (this.state !== "failed" && this.state !== "closed") {
      this.fail(this.closeReceived ? "TCP connection ended before our Close was answered" : "TCP connection ended without a Close frame");
    }
  }

  onData(chunk) {
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.handshakeDone) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.buf.length > 16384) this.fail("no end to the upgrade response's headers");
        return;
      }
      const head = this.buf.subarray(0, end).toString("latin1");
      this.buf = this.buf.length > end + 4 ? this.buf.subarray(end + 4) : null;
      const lines = head.split("\r\n");
      if (!/^HTTP\/1\.1 101 /.test(lines[0])) return this.fail(`upgrade answered ${JSON.stringify(lines[0])}`);
      const accept = lines.find((l) => /^sec-websocket-accept:/i.test(l));
      const want = crypto.createHash("sha1").update(this.key + GUID).digest("base64");
      if (!accept || accept.slice(accept.indexOf(":") + 1).trim() !== want) return this.fail("wrong or missing Sec-WebSocket-Accept");
      this.handshakeDone = true;
      this.state = "open";
      openNow++;
      stats.connections_opened++;
      stats.max_open_at_once = Math.max(stats.max_open_at_once, openNow);
      this.settleOpen(true);
      if (!this.buf) return;
    }
    this.parseFrames();
    this.flush();
  }

  parseFrames() {
    let b = this.buf;
    let at = 0;
    while (b && this.state !== "failed") {
      if (b.length - at < 2) break;
      const fin = (b[at] & 0x80) !== 0;
      const opcode = b[at] & 0x0f;
      if (b[at] & 0x70) return this.fail(`frame with reserved bits ${b[at] & 0x70}`);
      if (b[at + 1] & 0x80) return this.fail("masked frame from the server");
      let len = b[at + 1] & 0x7f;
      let head = 2;
      if (len === 126) {
        if (b.length - at < 4) break;
        len = b.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (b.length - at < 10) break;
        len = Number(b.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (b.length - at < head + len) break;
      const payload = b.subarray(at + head, at + head + len);
      at += head + len;
      this.onFrame(fin, opcode, payload);
    }
    if (this.state === "failed") return;
    this.buf = b && at < b.length ? (at ? Buffer.from(b.subarray(at)) : b) : null;
  }

  onFrame(fin, opcode, payload) {
    if (opcode === 0x9) { // ping
      this.out.push(frame(0xa, payload));
      return;
    }
    if (opcode === 0xa) return; // pong
    if (opcode === 0x8) {
      this.closeReceived = true;
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (this.state === "closing") {
        if (code === 1000) stats.close_handshakes_completed++;
        else error(`connection ${this.id}: the server answered our Close with code ${code}`);
        // The server ends the TCP connection; end our side too.
        this.sock.end();
      } else {
        this.fail(`the server sent a Close (code ${code}${payload.length > 2 ? ", " + JSON.stringify(payload.subarray(2).toString()) : ""}) first`);
      }
      return;
    }
    if (opcode === 0x0) {
      if (!this.fragments) return this.fail("continuation frame without a message");
      this.fragments.push(Buffer.from(payload));
      if (!fin) return;
      payload = Buffer.concat(this.fragments);
      opcode = this.fragmentOpcode;
      this.fragments = null;
    } else if (!fin) {
      if (this.fragments) return this.fail("new message inside a fragmented one");
      this.fragments = [Buffer.from(payload)];
      this.fragmentOpcode = opcode;
      return;
    }
    if (opcode !== 0x1) {
      stats.unexpected++;
      error(`connection ${this.id}: unexpected frame opcode ${opcode} (${payload.length} bytes)`);
      return;
    }
    this.onMessage(payload.toString("utf8"));
  }

  onMessage(text) {
    const colon = text.indexOf(":");
    const conn = Number(text.slice(0, colon));
    const seq = Number(text.slice(colon + 1));
    if (colon < 0 || conn !== this.id || !Number.isInteger(seq) || seq < 0 || seq >= this.sent || !this.seen) {
      stats.unexpected++;
      error(`connection ${this.id}: unexpected message ${JSON.stringify(text.slice(0, 60))} (sent ${this.sent})`);
      return;
    }
    if (this.seen[seq]) {
      stats.duplicated++;
      error(`connection ${this.id}: message ${seq} echoed twice`);
      return;
    }
    this.seen[seq] = 1;
    this.received++;
    stats.messages_echoed++;
    lastProgress = Date.now();
    if (seq < this.highest) {
      stats.reordered++;
      error(`connection ${this.id}: message ${seq} echoed after ${this.highest}`);
    }
    this.highest = Math.max(this.highest, seq);
    this.pump();
    if (this.received === opts.messages) this.finish();
  }

  startMessaging(onDone) {
    this.onDone = onDone;
    this.seen = new Uint8Array(opts.messages);
    if (this.state !== "open") return this.finish();
    if (opts.messages === 0) return this.finish();
    this.pump();
    this.flush();
  }

  pump() {
    while (this.state === "open" && this.sent < opts.messages && this.sent - this.received < opts.window) {
      this.out.push(frame(0x1, Buffer.from(`${this.id}:${this.sent}`)));
      this.sent++;
      stats.messages_sent++;
    }
  }

  flush() {
    if (this.out.length && this.state !== "failed" && !this.sock.destroyed) {
      this.sock.write(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    }
    this.out = [];
  }

  close(onClosed) {
    this.onClosed = onClosed;
    if (this.state !== "open") return this.closed();
    this.state = "closing";
    const body = Buffer.alloc(2);
    body.writeUInt16BE(1000, 0);
    this.closeSent = true;
    this.sock.write(frame(0x8, body));
  }
}

let lastProgress = Date.now();
const conns = [];

function report() {
  const t = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`progress phase=${phase} t=${t}s open=${openNow} opened=${stats.connections_opened} ` +
    `sent=${stats.messages_sent} echoed=${stats.messages_echoed} closed=${stats.close_handshakes_completed} errors=${stats.error_count}\n`);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function connectPhase() {
  setPhase("connect");
  const t0 = Date.now();
  for (let first = 0; first < opts.connections; first += opts.batch) {
    if (Date.now() > hardDeadline) {
      error(`deadline reached while connecting: ${opts.connections - first} connections never attempted`);
      break;
    }
    const batch = [];
    for (let id = first; id < Math.min(first + opts.batch, opts.connections); id++) {
      const c = new Conn(id);
      conns.push(c);
      batch.push(c.connect());
    }
    await Promise.all(batch);
  }
  stats.durations_ms.connect = Date.now() - t0;
}

async function messagingPhase() {
  setPhase("messaging");
  const t0 = Date.now();
  // Every connection opened must still be open: they are all open at once.
  const open = conns.filter((c) => c.state === "open");
  stats.open_when_messaging_began = open.length;
  let pending = open.length;
  let resolveAll;
  const all = new Promise((r) => { resolveAll = r; });
  const done = () => { if (--pending === 0) resolveAll("done"); };
  lastProgress = Date.now();
  for (const c of open) c.startMessaging(done);
  if (pending === 0) resolveAll("done");
  // Stalls and the deadline are checked each second.
  const reserve = (opts.closeTimeout + 5) * 1000;
  const outcome = await Promise.race([all, (async () => {
    for (;;) {
      await sleep(1000);
      if (pending === 0) return "done";
      if (Date.now() - lastProgress > opts.stallTimeout * 1000) return `no echo at all for ${opts.stallTimeout} s`;
      if (Date.now() > hardDeadline - reserve) return "the run's deadline";
    }
  })()]);
  if (outcome !== "done") {
    for (const c of open) {
      if (!c.done) {
        error(`connection ${c.id} stalled (${outcome}): sent ${c.sent} of ${opts.messages}, echoed ${c.received}`);
      }
    }
  }
  stats.durations_ms.messaging = Date.now() - t0;
}

async function closingPhase() {
  setPhase("closing");
  const t0 = Date.now();
  const open = conns.filter((c) => c.state === "open");
  let pending = open.length;
  let resolveAll;
  const all = new Promise((r) => { resolveAll = r; });
  for (const c of open) c.close(() => { if (--pending === 0) resolveAll(); });
  if (pending === 0) resolveAll();
  const limit = Math.max(1000, Math.min(opts.closeTimeout * 1000, hardDeadline - Date.now()));
  let timer;
  await Promise.race([all, new Promise((r) => { timer = setTimeout(r, limit); })]);
  clearTimeout(timer);
  for (const c of open) {
    if (c.state === "closing") {
      error(`connection ${c.id}: close not complete within ${limit / 1000} s (server's Close ${c.closeReceived ? "received" : "never came"}, TCP ${c.ended ? "ended" : "still open"})`);
    }
  }
  stats.durations_ms.closing = Date.now() - t0;
}

async function main() {
  const ticker = setInterval(report, 2000);
  try {
    await connectPhase();
    report();
    await messagingPhase();
    report();
    await closingPhase();
  } catch (e) {
    error(`soak.js: ${e && e.stack ? e.stack : e}`);
  }
  clearInterval(ticker);
  setPhase("done");
  report();
  for (const c of conns) {
    stats.lost += Math.max(0, c.sent - c.received);
    if (!c.sock.destroyed) c.sock.destroy();
  }
  stats.not_sent = opts.connections * opts.messages - stats.messages_sent;
  stats.durations_ms.total = Date.now() - started;
  if (stats.durations_ms.messaging) {
    stats.messages_per_s = Math.round(stats.messages_echoed / (stats.durations_ms.messaging / 1000));
  }
  const ok = stats.connections_opened === opts.connections && stats.lost === 0 && stats.reordered === 0 &&
    stats.duplicated === 0 && stats.unexpected === 0 && stats.error_count === 0 &&
    stats.messages_echoed === opts.connections * opts.messages &&
    stats.close_handshakes_completed === stats.connections_opened;
  stats.ok = ok;
  process.stdout.write(JSON.stringify(stats) + "\n", () => process.exit(ok ? 0 : 1));
}

// Belt and braces: whatever happens, the process ends shortly after its deadline.
setTimeout(() => {
  error("soak.js: the hard deadline passed before the run finished");
  stats.ok = false;
  process.stdout.write(JSON.stringify(stats) + "\n", () => process.exit(1));
}, opts.deadline * 1000 + 15000).unref();

main();
