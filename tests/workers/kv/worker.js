// The Workers KV test worker (tests/e2e/kv.rs).
//
// GET /scenario/<name> runs one named scenario against env.KV and answers
// 200 with its JSON report; a scenario that throws answers 500 with
// {uncaught: ...}. GET /scenario/clear deletes every key.
//
// Values are reported in a tagged JSON form (see `enc`) so that types the
// JSON data model lacks (undefined, Map, ArrayBuffer, ReadableStream, ...)
// can be compared exactly. Errors are reported as {name, message}; where the
// message is the JavaScript engine's own (JSON.parse, JSON.stringify of a
// BigInt), only {name} is reported, so that V8 and QuickJS builds compare
// alike. Timestamps never appear in a report: an expiration is reported as
// a check against the clock (`relOk`), or is a fixed value in the future.

// ---------------------------------------------------------------------------
// Reporting helpers (as in tests/workers/durable-objects/worker.js).

function enc(v) {
  if (v === undefined) return { undefined: null };
  if (v === null) return null;
  switch (typeof v) {
    case "string":
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
  if (v instanceof Error) return { Error: `${v.name}: ${v.message}` };
  if (Array.isArray(v)) return v.map(enc);
  const proto = Object.getPrototypeOf(v);
  const o = {};
  for (const k of Object.keys(v)) o[k] = enc(v[k]);
  if (proto === Object.prototype) return { Object: o };
  return { [`instance of ${proto?.constructor?.name}`]: o };
}

function errj(e) {
  if (!(e instanceof Error) && (typeof e !== "object" || e === null)) return { thrown: enc(e) };
  return { name: e.name, message: e.message };
}

// {ok: enc(value)} or {error: {name, message}}.
async function cap(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: errj(e) };
  }
}

// The same, but an error is reported by its name only (for errors whose
// message the JavaScript engine writes).
async function capName(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: { name: e?.name } };
  }
}

// The same, with `number` replaced by "<N>" in an error's message (for the
// messages that quote a timestamp).
async function capSub(fn, number) {
  const r = await cap(fn);
  if (r.error) r.error.message = r.error.message.split(String(number)).join("<N>");
  return r;
}

// A long string (over 40 characters) as "<its first character> x <length>".
const short = (v) => (typeof v === "string" && v.length > 40 ? `${v[0]} x ${v.length}` : v);

const nowSeconds = () => Math.floor(Date.now() / 1000);
const text = (stream) => new Response(stream).text();
const bytes = (s) => new TextEncoder().encode(s);

// Deletes every key of the namespace.
async function clear(KV) {
  for (;;) {
    const page = await KV.list();
    await Promise.all(page.keys.map((k) => KV.delete(k.name)));
    if (page.list_complete && page.keys.length === 0) return;
  }
}

// list() with the keys' entries as they are, but an expiration replaced by
// whether it is `ttl` seconds after `before` (give or take the clock
// ticking on while the put is on its way: up to 2 s).
function relative(list, before, ttl) {
  return {
    ...list,
    keys: list.keys.map((k) =>
      k.expiration === undefined
        ? k
        : {
            ...k,
            expiration: {
              integer: Number.isInteger(k.expiration),
              relOk: k.expiration - before >= ttl && k.expiration - before <= ttl + 2,
            },
          },
    ),
  };
}

// A fixed expiration in the future. workerd reads `expiration` as a 32-bit
// integer, so nothing later than 2147483647 (2038-01-19) can be given.
const FAR = 2000000000; // 2033-05-18

// ---------------------------------------------------------------------------
// Scenarios. Each gets env.KV and the request's URL and returns its report.

const scenarios = {
  async clear(KV) {
    await clear(KV);
    return { keys: (await KV.list()).keys.length };
  },

  // What env.KV is.
  async binding(KV, url, env) {
    const proto = Object.getPrototypeOf(KV);
    return {
      string: String(KV),
      tag: Object.prototype.toString.call(KV),
      typeof: typeof KV,
      constructor: KV.constructor.name,
      ownKeys: Object.keys(KV),
      methods: Object.getOwnPropertyNames(proto).sort(),
      typeofs: ["get", "getWithMetadata", "put", "delete", "list"].map((m) => typeof KV[m]),
      envKeys: Object.keys(env),
      same: env.KV === KV,
    };
  },

  // get() of a key that does not exist, in every form.
  async "get-missing"(KV) {
    const r = {};
    for (const t of [undefined, "text", "json", "arrayBuffer", "stream"]) {
      r[`type ${t}`] = await cap(() => KV.get("missing", t));
      r[`{type: ${t}}`] = await cap(() => KV.get("missing", { type: t }));
    }
    r.cacheTtl = await cap(() => KV.get("missing", { type: "json", cacheTtl: 60 }));
    // The type is only looked at once a value was found.
    r.typeFoo = await cap(() => KV.get("missing", "foo"));
    return r;
  },

  // get() of a present value in every type.
  async "get-types"(KV) {
    await KV.put("t:json", '{"a":[1,"x"],"b":null}');
    await KV.put("t:text", "one");
    await KV.put("t:bytes", new Uint8Array([0, 1, 254, 255]));
    const r = {};
    for (const t of [undefined, "text", "json", "arrayBuffer"]) {
      r[`type ${t}`] = await cap(() => KV.get("t:json", t));
      r[`{type: ${t}}`] = await cap(() => KV.get("t:json", { type: t }));
    }
    r.stream = await cap(async () => {
      const s = await KV.get("t:json", "stream");
      return [s instanceof ReadableStream, await text(s)];
    });
    r.streamObj = await cap(async () => text(await KV.get("t:json", { type: "stream" })));
    r.bytes = await cap(() => KV.get("t:bytes", "arrayBuffer"));
    r.bytesStream = await cap(async () => new Uint8Array(await new Response(await KV.get("t:bytes", "stream")).arrayBuffer()));
    r.jsonInvalid = await capName(() => KV.get("t:text", "json"));
    r.typeFoo = await cap(() => KV.get("t:text", "foo"));
    r.typeObjFoo = await cap(() => KV.get("t:text", { type: "foo" }));
    r.optionsNumber = await cap(() => KV.get("t:text", 5));
    r.optionsNull = await cap(() => KV.get("t:text", null));
    r.optionsEmpty = await cap(() => KV.get("t:text", {}));
    return r;
  },

  // get()'s cacheTtl: Miniflare wants at least 30 (seconds).
  async "get-cache-ttl"(KV) {
    await KV.put("c", "cached");
    const r = {};
    for (const ttl of [30, 60, 60.5, 3600, 29, 0, -1, "abc", NaN]) {
      r[`present ${ttl}`] = await cap(() => KV.get("c", { cacheTtl: ttl }));
    }
    r["missing 30"] = await cap(() => KV.get("nope", { cacheTtl: 30 }));
    r["missing 29"] = await cap(() => KV.get("nope", { cacheTtl: 29 }));
    r["withMetadata 29"] = await cap(() => KV.getWithMetadata("c", { cacheTtl: 29 }));
    r["withMetadata 30"] = await cap(() => KV.getWithMetadata("c", { type: "text", cacheTtl: 30 }));
    r["bulk 29"] = await cap(() => KV.get(["c"], { cacheTtl: 29 }));
    r["bulk 30"] = await cap(() => KV.get(["c"], { cacheTtl: 30 }));
    return r;
  },

  // Key arguments: missing, non-string, empty, ".", "..", too long.
  async "get-keys"(KV) {
    await KV.put("undefined", "U");
    await KV.put("null", "N");
    await KV.put("1", "one");
    const long512 = "k".repeat(512);
    const long513 = "k".repeat(513);
    await KV.put(long512, "512");
    return {
      noArgument: await cap(() => KV.get()),
      undefined: await cap(() => KV.get(undefined)),
      null: await cap(() => KV.get(null)),
      number: await cap(() => KV.get(1)),
      empty: await cap(() => KV.get("")),
      dot: await cap(() => KV.get(".")),
      dotdot: await cap(() => KV.get("..")),
      dotInside: await cap(() => KV.get("a.")),
      key512: await cap(() => KV.get(long512)),
      key513: await cap(() => KV.get(long513)),
      withMetadataNoArgument: await cap(() => KV.getWithMetadata()),
      withMetadataNull: await cap(() => KV.getWithMetadata(null)),
      withMetadataEmpty: await cap(() => KV.getWithMetadata("")),
    };
  },

  // get() of an array of keys: a Map in the order asked, text or json only.
  async "get-bulk"(KV) {
    await KV.put("b1", "one");
    await KV.put("b2", '{"x":2}');
    await KV.put("b3", "three", { metadata: { m: 3 } });
    const keys = (n) => Array.from({ length: n }, (_, i) => `k${i}`);
    return {
      plain: await cap(() => KV.get(["b1", "nope", "b2"])),
      reordered: await cap(() => KV.get(["b2", "b1"])),
      text: await cap(() => KV.get(["b1", "nope"], "text")),
      textObj: await cap(() => KV.get(["b1", "nope"], { type: "text" })),
      json: await cap(() => KV.get(["b2", "nope"], "json")),
      jsonObj: await cap(() => KV.get(["b2"], { type: "json" })),
      jsonNotJson: await cap(() => KV.get(["b1", "b2"], "json")),
      arrayBuffer: await cap(() => KV.get(["b1"], "arrayBuffer")),
      stream: await cap(() => KV.get(["b1"], "stream")),
      foo: await cap(() => KV.get(["b1"], "foo")),
      none: await cap(() => KV.get([])),
      duplicates: await cap(() => KV.get(["b1", "b1", "nope", "nope"])),
      allMissing: await cap(() => KV.get(["q1", "q2"])),
      hundred: await cap(async () => {
        const m = await KV.get(keys(100));
        return [m instanceof Map, m.size, [...m.values()].every((v) => v === null)];
      }),
      hundredAndOne: await cap(() => KV.get(keys(101))),
      emptyKey: await cap(() => KV.get(["b1", ""])),
      dotKey: await cap(() => KV.get(["."])),
      longKey: await cap(() => KV.get(["k".repeat(513)])),
      withMetadata: await cap(() => KV.getWithMetadata(["b1", "b3", "nope"])),
      withMetadataJson: await cap(() => KV.getWithMetadata(["b2", "nope"], "json")),
      withMetadataArrayBuffer: await cap(() => KV.getWithMetadata(["b1"], "arrayBuffer")),
    };
  },

  // put() of every kind of value: what is stored (as bytes), or the error.
  async "put-values"(KV) {
    const r = {};
    const put = async (name, key, ...args) => {
      const res = await cap(() => KV.put(key, ...args));
      if (!res.error) {
        res.stored = await cap(() => KV.get(key, "arrayBuffer"));
      } else {
        res.stored = await cap(() => KV.get(key));
      }
      r[name] = res;
    };
    await put("string", "v:string", "héllo 🔑");
    await put("emptyString", "v:empty", "");
    await put("arrayBuffer", "v:ab", new Uint8Array([1, 2, 255]).buffer);
    await put("uint8Array", "v:u8", new Uint8Array([1, 2, 3]));
    await put("subarray", "v:sub", new Uint8Array([1, 2, 3, 4]).subarray(1, 3));
    await put("uint16Array", "v:u16", new Uint16Array([0x0102]));
    await put("dataView", "v:dv", new DataView(new Uint8Array([9, 8, 7]).buffer, 1));
    await put("stream", "v:stream", new Response("streamed").body);
    await put("streamChunks", "v:chunks", new ReadableStream({
      start(c) {
        c.enqueue(bytes("ab"));
        c.enqueue(bytes("cd"));
        c.close();
      },
    }));
    await put("streamOfStrings", "v:strs", new ReadableStream({
      start(c) {
        c.enqueue("str");
        c.close();
      },
    }));
    await put("number", "v:number", 42);
    await put("boolean", "v:bool", true);
    await put("null", "v:null", null);
    await put("undefined", "v:undef", undefined);
    await put("object", "v:obj", { a: 1 });
    await put("array", "v:array", [1, 2]);
    await put("blob", "v:blob", new Blob(["x"]));
    await put("optionsNull", "v:optsnull", "v", null);
    await put("optionsEmpty", "v:optsempty", "v", {});
    r.returns = await cap(() => KV.put("v:ret", "x"));
    r.noArguments = await cap(() => KV.put());
    r.noArgumentsStored = await cap(() => KV.get("undefined"));
    r.emptyRead = await cap(async () => [await KV.get("v:empty"), await KV.getWithMetadata("v:empty")]);
    r.textRead = await cap(() => KV.get("v:string"));
    // Overwriting replaces the value, and drops metadata and expiration.
    await KV.put("v:over", "1", { metadata: { a: 1 }, expiration: FAR });
    await KV.put("v:over", "2");
    r.overwrite = await cap(async () => [await KV.getWithMetadata("v:over"), (await KV.list({ prefix: "v:over" })).keys]);
    return r;
  },

  // put()'s expirationTtl and expiration.
  async "put-expiration"(KV) {
    const r = {};
    // Each case: the put's result, then the key's list() entry (expiration
    // as a check against the clock when `ttl` is given).
    const put = async (name, key, options, ttl, sub) => {
      const before = nowSeconds();
      const res = await capSub(() => KV.put(key, "v", options), sub);
      const list = await KV.list({ prefix: key });
      res.listed = ttl === undefined ? list.keys : relative(list, before, ttl).keys;
      r[name] = res;
    };
    await put("ttl 60", "e:ttl60", { expirationTtl: 60 }, 60);
    await put("ttl 60.9", "e:ttl609", { expirationTtl: 60.9 }, 60);
    await put("ttl '120'", "e:ttl120s", { expirationTtl: "120" }, 120);
    await put("ttl 3600", "e:ttl3600", { expirationTtl: 3600 }, 3600);
    await put("ttl 59", "e:ttl59", { expirationTtl: 59 });
    await put("ttl 30", "e:ttl30", { expirationTtl: 30 });
    await put("ttl 0", "e:ttl0", { expirationTtl: 0 });
    await put("ttl -1", "e:ttlm1", { expirationTtl: -1 });
    await put("ttl 'abc'", "e:ttlabc", { expirationTtl: "abc" });
    await put("ttl NaN", "e:ttlnan", { expirationTtl: NaN });
    await put("expiration FAR", "e:far", { expiration: FAR });
    await put("expiration FAR+0.7", "e:farfrac", { expiration: FAR + 0.7 });
    await put("expiration max int32", "e:max", { expiration: 2147483647 });
    await put("expiration over int32", "e:over", { expiration: 2147483648 });
    await put("expiration 0", "e:zero", { expiration: 0 });
    await put("expiration 'abc'", "e:abc", { expiration: "abc" });
    const now = nowSeconds();
    await put("expiration past", "e:past", { expiration: now - 10 }, undefined, now - 10);
    await put("expiration +30s", "e:plus30", { expiration: now + 30 }, undefined, now + 30);
    await put("expiration +120s", "e:plus120", { expiration: now + 120 }, 120);
    // expirationTtl wins over expiration.
    await put("both", "e:both", { expiration: FAR, expirationTtl: 120 }, 120);
    // A failed put stores nothing.
    r.failedStoredNothing = await cap(() => KV.get("e:ttl30"));
    // An expiring key reads back until it expires; getWithMetadata has no expiration.
    r.readBack = await cap(() => KV.getWithMetadata("e:ttl60"));
    return r;
  },

  // put()'s metadata: any JSON-serializable value up to 1024 bytes of JSON.
  async "put-metadata"(KV) {
    const r = {};
    // Each case on a key of its own: the put's result, then what reads back.
    const put = async (name, metadata, report = cap) => {
      const key = `m:${name}`;
      const res = await report(() => KV.put(key, "v", { metadata }));
      const read = await KV.getWithMetadata(key);
      res.read = { value: read.value, metadata: short(read.metadata) };
      r[name] = res;
    };
    await put("object", { a: 1, b: [true, null, "x"], c: { d: 1.5 } });
    await put("string", "str");
    await put("number", 5);
    await put("boolean", false);
    await put("array", [1, "x"]);
    await put("null", null);
    await put("undefined", undefined);
    await put("date", new Date(0));
    await put("undefinedMember", { u: undefined, v: 1 });
    await put("json1024", "x".repeat(1022));
    await put("json1025", "x".repeat(1023));
    await put("bigObject", { a: "x".repeat(1100) });
    await put("multibyte", "é".repeat(511)); // 1022 bytes of UTF-8 + quotes: 1024
    await put("multibyteOver", "é".repeat(512));
    await put("bigint", { a: 1n }, capName);
    r.listed = await cap(async () => {
      const l = await KV.list({ prefix: "m:" });
      return l.keys.map((k) => ("metadata" in k ? { ...k, metadata: short(k.metadata) } : k));
    });
    return r;
  },

  // Key names: length in UTF-8 bytes, forbidden names, odd characters.
  async "put-keys"(KV) {
    await clear(KV);
    const r = {};
    const put = async (name, key) => {
      const res = await cap(() => KV.put(key, `value of ${name}`));
      res.read = await cap(() => KV.get(key));
      r[name] = res;
    };
    await put("512 bytes", "k".repeat(512));
    await put("513 bytes", "k".repeat(513));
    await put("256 é (512 bytes)", "é".repeat(256));
    await put("257 é (514 bytes)", "é".repeat(257));
    await put("empty", "");
    await put("dot", ".");
    await put("dotdot", "..");
    await put("dots", "...");
    await put("slashes", "a/b/c");
    await put("leading slash", "/a");
    await put("dot segment", "a/../b");
    await put("unicode", "ключ🔑");
    await put("nul", "a\u0000b");
    await put("spaces", " a b ");
    await put("number", 5);
    r.symbol = await cap(() => KV.put(Symbol("s"), "v"));
    r.deleteLong = await cap(() => KV.delete("k".repeat(513)));
    r.listed = await cap(async () => (await KV.list()).keys.map((k) => short(k.name)));
    return r;
  },

  // getWithMetadata().
  async "get-with-metadata"(KV) {
    await KV.put("w1", "v1", { metadata: { a: 1 } });
    await KV.put("w2", "v2");
    await KV.put("w3", '{"j":true}', { metadata: "s", expiration: FAR });
    return {
      with: await cap(() => KV.getWithMetadata("w1")),
      without: await cap(() => KV.getWithMetadata("w2")),
      json: await cap(() => KV.getWithMetadata("w3", "json")),
      jsonObj: await cap(() => KV.getWithMetadata("w3", { type: "json" })),
      arrayBuffer: await cap(() => KV.getWithMetadata("w1", "arrayBuffer")),
      stream: await cap(async () => {
        const r = await KV.getWithMetadata("w1", "stream");
        return [Object.keys(r), r.value instanceof ReadableStream, await text(r.value), r.metadata];
      }),
      missing: await cap(() => KV.getWithMetadata("nope")),
      missingJson: await cap(() => KV.getWithMetadata("nope", "json")),
      missingStream: await cap(() => KV.getWithMetadata("nope", "stream")),
      missingFoo: await cap(() => KV.getWithMetadata("nope", "foo")),
      jsonInvalid: await capName(() => KV.getWithMetadata("w1", "json")),
      foo: await cap(() => KV.getWithMetadata("w1", "foo")),
      keysOrder: await cap(async () => Object.keys(await KV.getWithMetadata("w1"))),
    };
  },

  // delete().
  async delete(KV) {
    await KV.put("d1", "v", { metadata: { a: 1 } });
    await KV.put("null", "N");
    return {
      existing: await cap(() => KV.delete("d1")),
      afterGet: await cap(() => KV.get("d1")),
      afterWithMetadata: await cap(() => KV.getWithMetadata("d1")),
      afterList: await cap(async () => (await KV.list({ prefix: "d" })).keys),
      again: await cap(() => KV.delete("d1")),
      missing: await cap(() => KV.delete("never")),
      noArgument: await cap(() => KV.delete()),
      empty: await cap(() => KV.delete("")),
      dot: await cap(() => KV.delete(".")),
      null: await cap(() => KV.delete(null)),
      nullGone: await cap(() => KV.get("null")),
      array: await cap(() => KV.delete(["a", "b"])),
    };
  },

  // list(): shape, order, prefix, metadata and expiration in the entries.
  async "list-basic"(KV) {
    await clear(KV);
    const r = {};
    r.empty = await cap(() => KV.list());
    for (const k of ["a", "B", "é", "a/b", "ab", "a0", "Z", "~", "ß", "😀", "ﬀ", "A", "a b", "a\u0000"]) {
      await KV.put(k, "v");
    }
    await KV.put("meta", "v", { metadata: { m: 1 } });
    await KV.put("exp", "v", { expiration: FAR });
    await KV.put("both", "v", { expiration: FAR, metadata: "s" });
    r.all = await cap(() => KV.list());
    r.resultKeys = await cap(async () => Object.keys(await KV.list()));
    r.entryKeys = await cap(async () => (await KV.list({ prefix: "both" })).keys.map((k) => Object.keys(k)));
    r.prefixA = await cap(() => KV.list({ prefix: "a" }));
    r.prefixSlash = await cap(() => KV.list({ prefix: "a/" }));
    r.prefixUnicode = await cap(() => KV.list({ prefix: "é" }));
    r.prefixEmpty = await cap(async () => (await KV.list({ prefix: "" })).keys.length);
    r.prefixNull = await cap(async () => (await KV.list({ prefix: null })).keys.length);
    r.prefixNumber = await cap(async () => {
      await KV.put("1x", "v");
      return (await KV.list({ prefix: 1 })).keys;
    });
    r.prefixNoMatch = await cap(() => KV.list({ prefix: "zzz" }));
    r.argNull = await cap(async () => (await KV.list(null)).keys.length);
    r.argEmpty = await cap(async () => (await KV.list({})).keys.length);
    r.argString = await cap(() => KV.list("a"));
    r.deletedGone = await cap(async () => {
      await KV.delete("a0");
      return (await KV.list({ prefix: "a" })).keys.map((k) => k.name);
    });
    return r;
  },

  // list()'s limit and cursor.
  async "list-limits"(KV) {
    await clear(KV);
    for (const k of ["a", "B", "é", "a/b", "ab", "a0", "Z", "~", "ß", "😀", "ﬀ", "m", "n"]) await KV.put(k, "v");
    const names = (l) => ({ names: l.keys.map((k) => k.name), list_complete: l.list_complete, cursor: l.cursor, keys: Object.keys(l) });
    const r = {};
    for (const limit of [1, 2, 13, 14, 0, -1, 1.5, "2", {}, null, 1000]) {
      r[`limit ${JSON.stringify(limit)}`] = await cap(async () => names(await KV.list({ limit })));
    }
    r["limit 1001"] = await cap(() => KV.list({ limit: 1001 }));
    r.prefixLimit = await cap(async () => names(await KV.list({ prefix: "a", limit: 2 })));
    r.pages = await cap(async () => {
      const pages = [];
      let cursor;
      for (let i = 0; i < 10; i++) {
        const page = await KV.list({ limit: 5, cursor });
        pages.push(names(page));
        if (page.list_complete) break;
        cursor = page.cursor;
      }
      return pages;
    });
    r.prefixPages = await cap(async () => {
      const first = await KV.list({ prefix: "a", limit: 2 });
      const second = await KV.list({ prefix: "a", limit: 2, cursor: first.cursor });
      return [names(first), names(second)];
    });
    // A cursor from one prefix, used with another or none.
    r.cursorOtherPrefix = await cap(async () => {
      const first = await KV.list({ limit: 2 });
      return names(await KV.list({ cursor: first.cursor, prefix: "a" }));
    });
    r.cursorNoPrefix = await cap(async () => {
      const first = await KV.list({ prefix: "a", limit: 2 });
      return names(await KV.list({ cursor: first.cursor, limit: 2 }));
    });
    r.cursorEmpty = await cap(async () => names(await KV.list({ cursor: "" })));
    r.cursorNull = await cap(async () => names(await KV.list({ cursor: null })));
    r.cursorUndefined = await cap(async () => names(await KV.list({ cursor: undefined })));
    // Miniflare's cursor is base64 of the last key returned; "bogus" decodes
    // to "n\x88." (then "n\uFFFD.") and the list starts after that.
    r.cursorBogus = await cap(async () => names(await KV.list({ cursor: "bogus" })));
    r.cursorOfMissingKey = await cap(async () => names(await KV.list({ cursor: btoa("b") })));
    // A key deleted between pages does not break paging.
    r.deleteBetweenPages = await cap(async () => {
      const first = await KV.list({ limit: 3 });
      await KV.delete(first.keys[2].name);
      return names(await KV.list({ limit: 3, cursor: first.cursor }));
    });
    return r;
  },

  // More than 1000 keys: list() answers 1000 at most.
  async "list-many"(KV) {
    await clear(KV);
    const all = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < all.length; i += 50) {
      await Promise.all(all.slice(i, i + 50).map((k) => KV.put(k, "v")));
    }
    const first = await KV.list();
    const second = await KV.list({ cursor: first.cursor });
    const limited = await KV.list({ prefix: "many/", limit: 1000 });
    const names = first.keys.map((k) => k.name);
    return {
      first: {
        count: first.keys.length,
        firstName: names[0],
        lastName: names.at(-1),
        inOrder: names.every((n, i) => i === 0 || names[i - 1] < n),
        list_complete: first.list_complete,
        cursor: first.cursor,
      },
      second: { names: second.keys.map((k) => k.name), list_complete: second.list_complete, cursor: second.cursor },
      limited: { count: limited.keys.length, list_complete: limited.list_complete, cursor: limited.cursor },
      bulk: await cap(async () => [...(await KV.get(all.slice(0, 3))).entries()]),
    };
  },

  // An expirationTtl of 60 s: the key is there, and list() reports when it
  // expires (integer seconds since the epoch, 60 s from now).
  async expiry(KV) {
    const before = nowSeconds();
    await KV.put("x:ttl", "soon gone", { expirationTtl: 60, metadata: { e: 1 } });
    const listed = await KV.list({ prefix: "x:" });
    const raw = listed.keys[0]?.expiration;
    return {
      get: await cap(() => KV.get("x:ttl")),
      withMetadata: await cap(() => KV.getWithMetadata("x:ttl")),
      list: relative(listed, before, 60),
      expirationType: typeof raw,
      inFuture: raw > Date.now() / 1000,
      atMostSixtyOneSeconds: raw - Date.now() / 1000 <= 61,
    };
  },

  // Written before a restart ...
  async "persist-write"(KV) {
    await KV.put("p:text", "survives", { metadata: { p: 1 } });
    await KV.put("p:bytes", new Uint8Array([0, 1, 2, 255]));
    await KV.put("p:exp", "later", { expiration: FAR });
    await KV.put("p:gone", "deleted");
    await KV.delete("p:gone");
    await KV.put("p:over", "old", { metadata: { old: true } });
    await KV.put("p:over", "new");
    return (await KV.list({ prefix: "p:" })).keys;
  },

  // ... and read after it.
  async "persist-read"(KV) {
    return {
      text: await cap(() => KV.getWithMetadata("p:text")),
      bytes: await cap(() => KV.get("p:bytes", "arrayBuffer")),
      exp: await cap(() => KV.get("p:exp")),
      gone: await cap(() => KV.get("p:gone")),
      over: await cap(() => KV.getWithMetadata("p:over")),
      list: await cap(() => KV.list({ prefix: "p:" })),
    };
  },

  // The largest value: 25 MiB.
  async "large-value"(KV) {
    const max = 25 * 1024 * 1024;
    const big = new Uint8Array(max);
    big[0] = 1;
    big[max - 1] = 2;
    const r = {};
    r.atLimit = await cap(() => KV.put("big", big));
    r.readBack = await cap(async () => {
      const b = new Uint8Array(await KV.get("big", "arrayBuffer"));
      return [b.byteLength, b[0], b[1], b[max - 1]];
    });
    r.overLimit = await cap(() => KV.put("big", new Uint8Array(max + 1)));
    r.overLimitString = await cap(() => KV.put("big-s", "x".repeat(max + 1)));
    r.overLimitStream = await cap(() => KV.put("big-st", new Response(new Uint8Array(max + 1)).body));
    r.keptAfterFailure = await cap(async () => (await KV.get("big", "arrayBuffer")).byteLength);
    r.nothingStored = await cap(async () => [await KV.get("big-s"), await KV.get("big-st")]);
    return r;
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/scenario\/(.+)$/);
    const scenario = match && scenarios[decodeURIComponent(match[1])];
    if (!scenario) return new Response(`no such scenario: ${url.pathname}\n`, { status: 404 });
    try {
      return Response.json(await scenario(env.KV, url, env));
    } catch (e) {
      return Response.json({ uncaught: errj(e), stack: String(e?.stack) }, { status: 500 });
    }
  },
};
