// Node.js modules under nodejs_compat, case by case. tests/e2e/node.rs runs
// this worker on workerd and on kiln and compares every case's answer;
// GET /?case=NAME runs one, GET / runs all.
import assert from "node:assert";
import strictAssert from "node:assert/strict";
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import { Buffer, isUtf8, isAscii, transcode, kMaxLength, constants } from "node:buffer";
import EventEmitter, { once, on, errorMonitor } from "node:events";
import path from "node:path";
import posix from "node:path/posix";
import process from "node:process";
import { Readable, Writable, Transform, PassThrough, pipeline, finished } from "node:stream";
import { pipeline as pipelinePromise } from "node:stream/promises";
import { ReadableStream as WebReadable } from "node:stream/web";
import { StringDecoder } from "node:string_decoder";
import url, { fileURLToPath, pathToFileURL, domainToASCII, domainToUnicode } from "node:url";
import util, { format, inspect, promisify, callbackify, inherits, isDeepStrictEqual, types } from "node:util";
import * as utilTypes from "node:util/types";

const errorText = (e) => `${e?.name}${e?.code ? ` [${e.code}]` : ""}`;

function collect(readable) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    readable.on("data", (c) => chunks.push(typeof c === "string" ? c : Buffer.from(c).toString()));
    readable.on("end", () => resolve(chunks.join("")));
    readable.on("error", reject);
  });
}

const als = new AsyncLocalStorage();

export const cases = {
  // node:buffer
  buffer_from_string: () => Buffer.from("héllo wörld").toString("hex"),
  buffer_base64: () => [Buffer.from("kiln!?").toString("base64"), Buffer.from("a2lsbiE/", "base64").toString()],
  buffer_base64url: () => Buffer.from([0xfb, 0xff, 0xbf]).toString("base64url"),
  buffer_latin1_ascii: () => [Buffer.from("é", "latin1").length, Buffer.from("abc", "ascii").toString("latin1")],
  buffer_utf16le: () => Buffer.from("hi", "utf16le").toString("hex"),
  buffer_alloc_fill: () => Buffer.alloc(5, "ab").toString(),
  buffer_concat_compare: () => [Buffer.concat([Buffer.from("a"), Buffer.from("bc")]).toString(), Buffer.compare(Buffer.from("a"), Buffer.from("b"))],
  buffer_read_write: () => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(0xdeadbeef, 0);
    b.writeInt16LE(-2, 4);
    b.writeDoubleLE(1.5, 8);
    return [b.readUInt32BE(0), b.readInt16LE(4), b.readDoubleLE(8), b.readBigUInt64LE(8).toString()];
  },
  buffer_slice_shares: () => {
    const b = Buffer.from("abcdef");
    const s = b.subarray(1, 3);
    s[0] = 0x5a;
    return [b.toString(), s.toString(), b.slice(-2).toString()];
  },
  buffer_index_of: () => [Buffer.from("hello").indexOf("l"), Buffer.from("hello").includes("ell"), Buffer.from("hello").lastIndexOf("l")],
  buffer_equals_json: () => [Buffer.from("ab").equals(Buffer.from("ab")), JSON.stringify(Buffer.from("ab"))],
  buffer_is: () => [Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1)), Buffer.isEncoding("utf8"), Buffer.isEncoding("nope"), Buffer.byteLength("héllo")],
  buffer_instance_of_uint8array: () => Buffer.alloc(1) instanceof Uint8Array,
  buffer_is_utf8_ascii: () => [isUtf8(Buffer.from([0xc3, 0xa9])), isUtf8(Buffer.from([0xc3])), isAscii(Buffer.from("abc")), isAscii(Buffer.from("é"))],
  buffer_transcode: () => transcode(Buffer.from("hé"), "utf8", "latin1").toString("hex"),
  buffer_constants: () => [kMaxLength === constants.MAX_LENGTH, typeof constants.MAX_STRING_LENGTH],
  buffer_bad_encoding: () => Buffer.from("x").toString("nope"),
  buffer_base64url_in: () => {
    const b = Buffer.alloc(4);
    const written = b.write("-_-_", "base64url");
    return [Buffer.from("-_-_", "base64url").toString("hex"), written, b.toString("hex"), Buffer.byteLength("-_-_", "base64url"), Buffer.isEncoding("base64url")];
  },
  buffer_global: () => typeof globalThis.Buffer === "function" && globalThis.Buffer === Buffer,
  // node:events
  events_order: () => {
    const e = new EventEmitter();
    const seen = [];
    e.on("x", (v) => seen.push(`a${v}`));
    e.prependListener("x", (v) => seen.push(`p${v}`));
    e.once("x", (v) => seen.push(`o${v}`));
    e.emit("x", 1);
    e.emit("x", 2);
    return [seen.join(","), e.listenerCount("x"), e.eventNames()];
  },
  events_error_unhandled: () => new EventEmitter().emit("error", new Error("boom")),
  events_error_monitor: () => {
    const e = new EventEmitter();
    const seen = [];
    e.on(errorMonitor, (err) => seen.push(`monitor:${err.message}`));
    e.on("error", (err) => seen.push(`error:${err.message}`));
    e.emit("error", new Error("x"));
    return seen;
  },
  events_once_promise: async () => {
    const e = new EventEmitter();
    setTimeout(() => e.emit("ready", 1, 2), 1);
    return await once(e, "ready");
  },
  events_on_iterator: async () => {
    const e = new EventEmitter();
    setTimeout(() => {
      e.emit("n", 1);
      e.emit("n", 2);
      e.emit("n", 3);
    }, 1);
    const got = [];
    for await (const [n] of on(e, "n")) {
      got.push(n);
      if (got.length === 3) break;
    }
    return [got, e.listenerCount("n")];
  },
  events_max_listeners: () => {
    const e = new EventEmitter();
    e.setMaxListeners(1);
    return [e.getMaxListeners(), EventEmitter.defaultMaxListeners];
  },
  events_on_abort: async () => {
    const e = new EventEmitter();
    const controller = new AbortController();
    setTimeout(() => {
      e.emit("n", 1);
      controller.abort();
    }, 1);
    const got = [];
    try {
      for await (const [n] of on(e, "n", { signal: controller.signal })) got.push(n);
      return ["ended", got];
    } catch (err) {
      return [err.name, got, e.listenerCount("n")];
    }
  },
  events_add_abort_listener: async () => {
    const { addAbortListener } = await import("node:events");
    const controller = new AbortController();
    const seen = [];
    const disposable = addAbortListener(controller.signal, () => seen.push("aborted"));
    controller.abort();
    await null;
    return [seen, typeof disposable[Symbol.dispose]];
  },
  events_default_is_class: () => [typeof EventEmitter, EventEmitter.EventEmitter === EventEmitter],
  // node:async_hooks
  als_across_await: async () => {
    return await als.run({ id: 7 }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      await null;
      return als.getStore().id;
    });
  },
  als_nested_and_outside: () => {
    const seen = [als.getStore()];
    als.run(1, () => {
      seen.push(als.getStore());
      als.run(2, () => seen.push(als.getStore()));
      seen.push(als.getStore());
      als.exit(() => seen.push(als.getStore()));
    });
    seen.push(als.getStore());
    return seen.map(String);
  },
  als_timers_and_microtasks: async () => {
    const seen = await als.run("s", () =>
      Promise.all([
        new Promise((r) => setTimeout(() => r(als.getStore()), 1)),
        new Promise((r) => queueMicrotask(() => r(als.getStore()))),
        Promise.resolve().then(() => als.getStore()),
      ]));
    return seen;
  },
  als_snapshot_and_bind: () => {
    const snapshot = als.run("snap", () => AsyncLocalStorage.snapshot());
    const bound = als.run("bound", () => AsyncLocalStorage.bind(() => als.getStore()));
    return [snapshot(() => als.getStore()), bound(), String(als.getStore())];
  },
  als_async_resource: () => {
    const resource = als.run("res", () => new AsyncResource("X"));
    return resource.runInAsyncScope(() => als.getStore());
  },
  als_disable: () => {
    const storage = new AsyncLocalStorage();
    return storage.run("x", () => {
      const before = storage.getStore();
      storage.disable();
      const after = storage.getStore();
      const again = storage.run("y", () => storage.getStore());
      return [before, String(after), again];
    });
  },
  als_run_needs_function: () => als.run(1, "not a function"),
  // node:path
  path_ops: () => [
    path.join("/a/b", "../c", "./d"),
    path.normalize("/a//b/../c/."),
    path.resolve("/x", "y", "..", "z"),
    path.relative("/a/b/c", "/a/d"),
    path.dirname("/a/b/c.txt"),
    path.basename("/a/b/c.txt", ".txt"),
    path.extname("x.tar.gz"),
    path.isAbsolute("a/b"),
    path.sep,
    path.delimiter,
  ],
  path_parse_format: () => [path.parse("/home/u/file.txt"), path.format({ dir: "/x", name: "f", ext: ".js" })],
  path_posix_same: () => posix.join("a", "b") === path.posix.join("a", "b"),
  path_bad_argument: () => path.join(1),
  path_resolve_relative: () => path.resolve("a"),
  path_matches_glob: () =>
    [
      ["/a/.env", "/a/*"],
      ["x.js", "*.{js,ts}"],
      ["a", "[z-a]"],
      ["/a/b/c.js", "/a/**/*.js"],
      ["/a/c.js", "/a/**/*.js"],
      ["/a/.git/x", "/a/**/x"],
      ["/a/.git/x", "/a/.git/x"],
      ["src/y/x.ts", "src/*.ts"],
      ["axc", "a[!b]c"],
    ].map(([p, g]) => path.matchesGlob(p, g)),
  // node:process
  process_basics: () => [typeof process.nextTick, process.platform, typeof process.env, typeof process.version, process.cwd(), globalThis.process === process],
  process_env_vars: () => [process.env.GREETING, process.env.NOT_SET],
  process_next_tick_order: async () => {
    const seen = [];
    await new Promise((resolve) => {
      process.nextTick(() => seen.push("tick"), 1);
      Promise.resolve().then(() => seen.push("promise"));
      setTimeout(() => resolve(), 5);
    });
    return seen;
  },
  process_hrtime: () => {
    const [s, ns] = process.hrtime();
    return [Number.isInteger(s), Number.isInteger(ns), typeof process.hrtime.bigint()];
  },
  // node:stream
  stream_readable_from: async () => collect(Readable.from(["a", "b", "c"])),
  stream_transform_pipeline: async () => {
    const upper = new Transform({
      transform(chunk, _enc, cb) {
        cb(null, chunk.toString().toUpperCase());
      },
    });
    const out = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out.push(chunk.toString());
        cb();
      },
    });
    await new Promise((resolve, reject) =>
      pipeline(Readable.from(["x", "y"]), upper, sink, (err) => (err ? reject(err) : resolve())));
    return out.join("");
  },
  stream_pipeline_promise: async () => {
    const out = [];
    await pipelinePromise(Readable.from(["1", "2"]), new PassThrough(), new Writable({
      write(c, _e, cb) {
        out.push(c.toString());
        cb();
      },
    }));
    return out;
  },
  stream_error_propagates: async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error("source failed"));
      },
    });
    try {
      await pipelinePromise(failing, new PassThrough());
      return "no error";
    } catch (e) {
      return e.message;
    }
  },
  stream_finished: async () => {
    const r = Readable.from(["z"]);
    r.resume();
    return await new Promise((resolve) => finished(r, (err) => resolve(err ?? "done")));
  },
  stream_to_web_after_end: async () => {
    const r = Readable.from(["gone"]);
    r.resume();
    await new Promise((resolve) => r.on("end", resolve));
    const reader = Readable.toWeb(r).getReader();
    return (await reader.read()).done;
  },
  stream_from_web: async () => {
    const web = new WebReadable({
      start(c) {
        c.enqueue(new TextEncoder().encode("from "));
        c.enqueue(new TextEncoder().encode("web"));
        c.close();
      },
    });
    return collect(Readable.fromWeb(web));
  },
  stream_writable_to_web: async () => {
    const out = [];
    const writable = new Writable({
      write(chunk, _e, cb) {
        out.push(Buffer.from(chunk).toString());
        cb();
      },
    });
    const writer = Writable.toWeb(writable).getWriter();
    await writer.write(new TextEncoder().encode("a"));
    await writer.write(new TextEncoder().encode("b"));
    await writer.close();
    return out;
  },
  stream_to_web: async () => {
    const web = Readable.toWeb(Readable.from([Buffer.from("web")]));
    return [web instanceof WebReadable, await new Response(web).text()];
  },
  // node:string_decoder
  string_decoder_split: () => {
    const d = new StringDecoder("utf8");
    const euro = Buffer.from("€");
    return [d.write(euro.subarray(0, 1)), d.write(euro.subarray(1)), d.end()];
  },
  string_decoder_base64url: () => {
    const d = new StringDecoder("base64url");
    return [d.write(Buffer.from([0xfb, 0xff])), d.end(Buffer.from([0xbf, 0x01])), d.encoding];
  },
  string_decoder_unknown: () => new StringDecoder("nope"),
  stream_set_encoding_base64url: async () => {
    const r = Readable.from([Buffer.from([0xfb, 0xff, 0xbf])], { objectMode: false });
    r.setEncoding("base64url");
    return collect(r);
  },
  string_decoder_base64: () => {
    const d = new StringDecoder("base64");
    return d.write(Buffer.from("ab")) + d.end(Buffer.from("c"));
  },
  // node:url
  url_file: () => [fileURLToPath("file:///a/b%20c"), pathToFileURL("/x y#z").href],
  url_path_to_file_relative: () => [pathToFileURL("a/b").href, pathToFileURL("/x//y/../z/").href],
  url_file_bad_scheme: () => fileURLToPath("http://x/y"),
  url_legacy_parse: () => {
    const u = url.parse("http://user:pw@host.com:8080/p/a/t/h?query=string#hash", true);
    return [u.protocol, u.auth, u.host, u.port, u.pathname, u.query.query, u.hash];
  },
  url_format_resolve: () => [url.format({ protocol: "https", hostname: "example.com", pathname: "/x" }), url.resolve("http://a/b/c", "../d")],
  url_domains: () => [domainToASCII("español.com"), domainToUnicode("xn--espaol-zwa.com"), domainToASCII("xn--iñvalid.com")],
  url_whatwg: () => url.URL === URL && url.URLSearchParams === URLSearchParams,
  // node:util
  util_format: () => [format("%s=%d %j %%", "a", 42, { b: 1 }), format("%o", [1]), format("x", "y", 3)],
  util_inspect: () => [inspect({ a: 1, b: "x", c: [1, 2] }), inspect("str"), inspect(new Map([[1, 2]]))],
  util_promisify: async () => {
    const f = (x, cb) => setTimeout(() => cb(null, x * 2), 1);
    return await promisify(f)(21);
  },
  util_callbackify: async () =>
    new Promise((resolve) => callbackify(async () => "v")((err, v) => resolve([err, v]))),
  util_inherits: () => {
    function A() {}
    A.prototype.hi = () => "hi";
    function B() {}
    inherits(B, A);
    return [new B().hi(), B.super_ === A];
  },
  util_deep_equal: () => [
    isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
    isDeepStrictEqual([1], ["1"]),
    isDeepStrictEqual(new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])),
    isDeepStrictEqual(new Set([1, 2]), new Set([2, 1])),
    isDeepStrictEqual(new Date(1), new Date(2)),
    isDeepStrictEqual(NaN, NaN),
    isDeepStrictEqual(0, -0),
  ],
  // Objects in Sets and Maps pair one to one.
  util_deep_equal_objects_in_sets: () => [
    isDeepStrictEqual(new Set([{}, {}]), new Set([{}, { a: 1 }])),
    isDeepStrictEqual(new Set([{ a: 1 }, {}]), new Set([{}, { a: 1 }])),
    isDeepStrictEqual(new Map([[{}, 1], [{}, 1]]), new Map([[{}, 1], [{ a: 1 }, 1]])),
  ],
  util_types: () => [types.isPromise(Promise.resolve()), types.isDate(new Date()), utilTypes.isRegExp(/x/), types.isUint8Array(Buffer.alloc(1)), types.isAsyncFunction(async () => {})],
  util_text_codec: () => new util.TextDecoder().decode(new util.TextEncoder().encode("ü")),
  // node:assert
  assert_passes: () => {
    assert(true);
    assert.ok(1);
    assert.equal(1, 1);
    assert.notEqual(1, "1");
    assert.deepStrictEqual({ a: [1] }, { a: [1] });
    assert.throws(() => {
      throw new TypeError("x");
    }, TypeError);
    return "passed";
  },
  assert_fails: () => {
    try {
      assert.strictEqual(1, 2);
    } catch (e) {
      return [e.name, e.code, e.actual, e.expected, e.operator, e instanceof assert.AssertionError];
    }
  },
  assert_fails_message: () => {
    try {
      assert.strictEqual(1, 2, "custom message");
    } catch (e) {
      return [e.name, e.code, e.message, e.actual, e.expected, e.operator, e.generatedMessage];
    }
  },
  // Workers compare strictly in equal() and deepEqual(), unlike Node.
  assert_equal_is_strict: () => {
    const outcomes = [];
    for (const check of [() => assert.equal(1, "1"), () => assert.deepEqual([1], ["1"])]) {
      try {
        check();
        outcomes.push("passed");
      } catch (e) {
        outcomes.push(e.code);
      }
    }
    return outcomes;
  },
  // The text of a generated message: Node 24's diff in Workers, the npm
  // package's older wording in kiln (a known difference, compared by the
  // test only in what it threw).
  assert_message_text: () => assert.strictEqual(1, 2),
  assert_strict_equal: () => {
    try {
      strictAssert.equal(1, "1");
      return "passed";
    } catch (e) {
      return e.code;
    }
  },
  assert_rejects: async () => {
    await assert.rejects(Promise.reject(new Error("r")), /r/);
    return "rejected as expected";
  },
  // Globals from nodejs_compat_v2.
  globals: () => [typeof global, global === globalThis, typeof setImmediate, typeof clearImmediate],
  set_immediate: async () => new Promise((resolve) => setImmediate((a, b) => resolve(a + b), 1, 2)),
  // require() of built-ins from CommonJS happens in the projects' tests.

  als_enter_with: () => {
    als.enterWith("entered");
    return als.getStore();
  },
  process_get_builtin_module: () => typeof process.getBuiltinModule,
};

async function run(name) {
  try {
    const value = await cases[name]();
    return { value: value === undefined ? "undefined" : value };
  } catch (e) {
    return { throws: errorText(e), message: String(e?.message) };
  }
}

export default {
  async fetch(request) {
    const which = new URL(request.url).searchParams.get("case");
    if (which !== null) {
      if (!(which in cases)) return new Response(`no case ${which}`, { status: 404 });
      return Response.json(await run(which));
    }
    const out = {};
    for (const name of Object.keys(cases)) out[name] = await run(name);
    return Response.json(out);
  },
};
