// The R2 test worker (tests/e2e/r2.rs).
//
// GET /scenario/<name> runs one named scenario against env.BUCKET and
// answers 200 with its JSON report; a scenario that throws answers 500 with
// {uncaught: ...}. GET /scenario/clear deletes every object.
//
// Values are reported in a tagged JSON form (see `enc`) so that types the
// JSON data model lacks (undefined, Date, Headers, ArrayBuffer, class
// instances, ...) can be compared exactly. Errors are reported as {name,
// message}; where the message is the JavaScript engine's own (JSON.parse,
// assigning to a read-only property), only {name} is reported, so that V8
// and QuickJS builds compare alike.
//
// What is random or depends on the clock is masked by `enc` (see `mask`):
// an object's `version` (32 lowercase hex digits) reads "<version>", an
// `uploaded` Date within ten minutes of now reads {Date: "<now>"}, a
// multipart `uploadId` reads "<uploadId>", and the etag of an uploaded part
// reads "<partEtag>". Anything not of the expected form is left as it is,
// so that a wrong form shows.

// ---------------------------------------------------------------------------
// Reporting helpers (as in tests/workers/kv/worker.js).

const HEX32 = /^[0-9a-f]{32}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TEN_MINUTES = 10 * 60 * 1000;

// A value masked by the name of the property it was found under.
function mask(k, v) {
  if (k === "version" && typeof v === "string" && HEX32.test(v)) return "<version>";
  if (k === "uploadId" && typeof v === "string" && BASE64URL.test(v)) return "<uploadId>";
  return v;
}

function enc(v, k) {
  v = mask(k, v);
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
  if (v[REPORT]) return v;
  if (v instanceof Date) {
    if (k === "uploaded" && Math.abs(v.getTime() - Date.now()) < TEN_MINUTES) return { Date: "<now>" };
    return { Date: Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString() };
  }
  if (v instanceof Headers) return { Headers: [...v] };
  if (v instanceof Map) return { Map: [...v].map(([k, x]) => [enc(k), enc(x)]) };
  if (v instanceof Set) return { Set: [...v].map((x) => enc(x)) };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (v instanceof ReadableStream) return { ReadableStream: null };
  if (v instanceof Blob) return { Blob: { type: v.type, size: v.size } };
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (v instanceof Error) return { Error: `${v.name}: ${v.message}` };
  if (Array.isArray(v)) return v.map((x) => enc(x));
  const proto = Object.getPrototypeOf(v);
  const o = {};
  for (const key of Object.keys(v)) o[key] = enc(v[key], key);
  if (proto === Object.prototype) return { Object: o };
  return { [`instance of ${proto?.constructor?.name}`]: o };
}

// Marks a report (what `cap` answers) as encoded already, so that a report
// inside another is kept as it is.
const REPORT = Symbol("report");
function reported(o) {
  Object.defineProperty(o, REPORT, { value: true });
  return o;
}

function errj(e) {
  if (!(e instanceof Error) && (typeof e !== "object" || e === null)) return { thrown: enc(e) };
  return { name: e.name, message: e.message };
}

// {ok: enc(value)} or {error: {name, message}}.
async function cap(fn) {
  try {
    return reported({ ok: enc(await fn()) });
  } catch (e) {
    return reported({ error: errj(e) });
  }
}

// The same, but an error is reported by its name only (for errors whose
// message the JavaScript engine writes).
async function capName(fn) {
  try {
    return reported({ ok: enc(await fn()) });
  } catch (e) {
    return reported({ error: { name: e?.name } });
  }
}

// A JSON-parsed object (JSON.stringify of an R2Object) with its version and
// upload time masked as `enc` masks them.
function maskJson(o) {
  if (o.version !== undefined && HEX32.test(o.version)) o.version = "<version>";
  if (typeof o.uploaded === "string" && Math.abs(Date.parse(o.uploaded) - Date.now()) < TEN_MINUTES) {
    o.uploaded = "<now>";
  }
  return o;
}

// A long string (over 40 characters) as "<its first character> x <length>".
const short = (v) => (typeof v === "string" && v.length > 40 ? `${v[0]} x ${v.length}` : v);

const MiB = 1024 * 1024;
const bytes = (s) => new TextEncoder().encode(s);
const streamOf = (...chunks) =>
  new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });

// The prototype chain below Object.prototype: [constructor name, own names].
function chain(o) {
  const c = [];
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    c.push([p.constructor.name, Object.getOwnPropertyNames(p).sort()]);
  }
  return c;
}

// What an R2Object is, briefly: its class, key, size, etag, whether it has
// a body, and its range.
function brief(o) {
  if (o === null || o === undefined) return o;
  return {
    class: o.constructor.name,
    key: o.key,
    size: o.size,
    etag: o.etag,
    hasBody: "body" in o,
    range: o.range,
  };
}

// The same, with the body's text (an R2ObjectBody's).
async function briefText(o) {
  const b = brief(o);
  if (o && "body" in o) b.text = await o.text();
  return b;
}

// Deletes every object of the bucket.
async function clear(B) {
  for (;;) {
    const page = await B.list();
    if (page.objects.length === 0) return;
    await B.delete(page.objects.map((o) => o.key));
  }
}

// The known checksums of "checksum me".
const SUM_TEXT = "checksum me";
const SUMS = {
  md5: "f11c72a98bf0b6e31f0b0af786a43ba7",
  sha1: "00337cfb20489c72b736b268fdba32c027bdd62b",
  sha256: "820eb62b7660a216f711bd0df37ac8a176b662a159959870edc200b857262daf",
  sha384:
    "445fa0589ef76020078d8bef714a8fb8165078700eea84be16625a614fed4bb7f1d5a38e0e94524f7c6f64ed58a4aa35",
  sha512:
    "31b8effa4df268c6bc579e4374b4336d45ef178178ac093c0081754aa0b8d84153b5c67bfb3a88546d9ec91ba7d29f676fbb9cd8a2f8ed2a9027470a89e41a55",
};
const hexBytes = (hex) => new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
// A wrong checksum of the right length: the right one with its first byte
// flipped.
const wrongHex = (hex) => (hex[0] === "0" ? "f" : "0") + hex.slice(1);

// ---------------------------------------------------------------------------
// Scenarios. Each gets env.BUCKET, the request's URL and env, and returns its
// report.

const scenarios = {
  async clear(B) {
    await clear(B);
    return { objects: (await B.list()).objects.length };
  },

  // What env.BUCKET is.
  async binding(B, url, env) {
    const proto = Object.getPrototypeOf(B);
    const methods = ["head", "get", "put", "createMultipartUpload", "resumeMultipartUpload", "delete", "list"];
    return {
      string: String(B),
      tag: Object.prototype.toString.call(B),
      typeof: typeof B,
      constructor: B.constructor.name,
      ownKeys: Object.keys(B),
      methods: Object.getOwnPropertyNames(proto).sort(),
      typeofs: methods.map((m) => typeof B[m]),
      protoParent: Object.getPrototypeOf(proto) === Object.prototype,
      envKeys: Object.keys(env),
      same: env.BUCKET === B,
    };
  },

  // What env holds (run with --env, whose environment has no r2_buckets).
  async env(B, url, env) {
    return { envKeys: Object.keys(env), BUCKET: typeof env.BUCKET };
  },

  // The shape of R2Object (put, head), R2ObjectBody (get) and R2Checksums.
  async "object-shape"(B) {
    const put = await B.put("shape", "hello", {
      customMetadata: { x: "1" },
      httpMetadata: { contentType: "text/plain" },
    });
    const head = await B.head("shape");
    const got = await B.get("shape");
    const r = {};
    r.put = enc(put);
    r.putKeys = Object.keys(put);
    r.putChain = chain(put);
    r.putTag = Object.prototype.toString.call(put);
    r.keyDescriptor = enc(Object.getOwnPropertyDescriptor(put, "key"));
    r.assignKey = await capName(() => {
      put.key = "other";
      return put.key;
    });
    r.head = enc(head);
    r.headKeys = Object.keys(head);
    r.headChain = chain(head);
    r.get = enc(got);
    r.getKeys = Object.keys(got);
    r.getChain = chain(got);
    r.bodyInGet = "body" in got;
    r.rangeKeys = Object.keys(head.range);
    r.httpMetadataKeys = Object.keys(head.httpMetadata);
    r.customMetadataProto = Object.getPrototypeOf(head.customMetadata) === Object.prototype;
    r.checksumsChain = chain(put.checksums);
    r.checksumsKeys = Object.keys(put.checksums);
    r.checksumsJSON = enc(put.checksums.toJSON());
    r.checksumsStringify = JSON.stringify(put.checksums);
    r.sameChecksums = head.checksums === head.checksums;
    r.sameMd5 = head.checksums.md5 === head.checksums.md5;
    r.sameUploaded = head.uploaded === head.uploaded;
    r.putJson = maskJson(JSON.parse(JSON.stringify(put)));
    r.headJson = maskJson(JSON.parse(JSON.stringify(head)));
    r.getJson = maskJson(JSON.parse(JSON.stringify(got)));
    r.headJsonKeys = Object.keys(r.headJson);
    r.uploadedIsDate = head.uploaded instanceof Date;
    r.uploadedMatches = head.uploaded.getTime() === put.uploaded.getTime();
    r.versionMatches = head.version === put.version && got.version === put.version;
    await got.text();
    return r;
  },

  // put() of every kind of value: what it answers, and what is stored.
  async "put-values"(B) {
    const r = {};
    const put = async (name, key, ...args) => {
      const res = await cap(async () => {
        const o = await B.put(key, ...args);
        return o === null ? null : { class: o.constructor.name, key: o.key, size: o.size, etag: o.etag };
      });
      res.stored = await cap(async () => {
        const o = await B.get(key);
        return o === null ? null : o.arrayBuffer();
      });
      r[name] = res;
    };
    await put("string", "v:string", "h\u00e9llo \u{1F511}");
    await put("emptyString", "v:empty", "");
    await put("arrayBuffer", "v:ab", new Uint8Array([1, 2, 255]).buffer);
    await put("uint8Array", "v:u8", new Uint8Array([1, 2, 3]));
    await put("subarray", "v:sub", new Uint8Array([1, 2, 3, 4]).subarray(1, 3));
    await put("uint16Array", "v:u16", new Uint16Array([0x0102]));
    await put("dataView", "v:dv", new DataView(new Uint8Array([9, 8, 7]).buffer, 1));
    await put("responseBody", "v:resp", new Response("streamed").body);
    await put("requestBody", "v:req", new Request("http://x/", { method: "POST", body: "from a request" }).body);
    await put("fixedLengthStream", "v:fixed", (() => {
      const { readable, writable } = new FixedLengthStream(4);
      const w = writable.getWriter();
      w.write(bytes("ab"));
      w.write(bytes("cd"));
      w.close();
      return readable;
    })());
    await put("streamUnknownLength", "v:stream", streamOf(bytes("abcd")));
    await put("blob", "v:blob", new Blob(["bl", "ob"], { type: "text/x-blob" }));
    await put("null", "v:null", null);
    await put("undefined", "v:undef", undefined);
    await put("noValue", "v:novalue");
    await put("number", "v:number", 42);
    await put("boolean", "v:bool", true);
    await put("object", "v:obj", { a: 1 });
    await put("array", "v:array", [1, 2]);
    await put("optionsNull", "v:optsnull", "v", null);
    await put("optionsEmpty", "v:optsempty", "v", {});
    r.noArguments = await cap(() => B.put());
    r.blobContentType = await cap(async () => (await B.head("v:blob")).httpMetadata.contentType);
    // Overwriting replaces value and metadata.
    await B.put("v:over", "one", { customMetadata: { a: "1" }, httpMetadata: { contentType: "a/b" } });
    await B.put("v:over", "two");
    r.overwrite = await cap(async () => {
      const o = await B.get("v:over");
      return [await o.text(), o.size, o.customMetadata, o.httpMetadata.contentType];
    });
    return r;
  },

  // put()'s httpMetadata and customMetadata, as put() answers them and as
  // head() reads them back.
  async "put-metadata"(B) {
    const r = {};
    const put = async (name, options, report = cap) => {
      const key = `m:${name}`;
      const res = await report(async () => {
        const o = await B.put(key, "v", options);
        return { httpMetadata: o.httpMetadata, customMetadata: o.customMetadata };
      });
      res.head = await cap(async () => {
        const o = await B.head(key);
        return o && { httpMetadata: o.httpMetadata, customMetadata: o.customMetadata };
      });
      r[name] = res;
    };
    await put("none", undefined);
    await put("httpObject", {
      httpMetadata: {
        contentType: "text/html; charset=utf-8",
        contentLanguage: "fr-CA",
        contentDisposition: 'attachment; filename="a.txt"',
        contentEncoding: "gzip",
        cacheControl: "max-age=60",
        cacheExpiry: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
      },
    });
    await put("httpHeaders", {
      httpMetadata: new Headers({
        "Content-Type": "image/png",
        "content-language": "de",
        "content-disposition": "inline",
        "content-encoding": "br",
        "cache-control": "no-store",
        expires: "Wed, 21 Oct 2015 07:28:00 GMT",
        "x-other": "ignored",
        "content-length": "5",
        etag: "ignored",
      }),
    });
    await put("httpHeadersEmpty", { httpMetadata: new Headers() });
    await put("httpHeadersBadExpires", { httpMetadata: new Headers({ expires: "not a date" }) });
    await put("httpUnknownField", { httpMetadata: { foo: "bar", contentType: "a/b" } });
    await put("httpNumber", { httpMetadata: { contentType: 5 } });
    await put("httpEmptyString", { httpMetadata: { contentType: "" } });
    await put("cacheExpiryNumber", { httpMetadata: { cacheExpiry: 1000 } });
    await put("cacheExpiryString", { httpMetadata: { cacheExpiry: "2030-01-01T00:00:00Z" } });
    await put("httpString", { httpMetadata: "text/plain" });
    await put("custom", { customMetadata: { b: "2", a: "1", "with space": "v a l", "\u00e9": "\u00fc" } });
    await put("customNumber", { customMetadata: { n: 5, t: true, o: null } });
    await put("customEmpty", { customMetadata: {} });
    await put("customString", { customMetadata: "str" });
    await put("customArray", { customMetadata: ["x"] });
    // Miniflare counts keys plus values, in characters (twice that when one
    // is over U+00FF), against a limit of 2048.
    await put("custom2048", { customMetadata: { k: "x".repeat(2047) } });
    await put("custom2049", { customMetadata: { k: "x".repeat(2048) } });
    await put("customWide", { customMetadata: { k: "\u0100".repeat(1023) } });
    await put("customWideOver", { customMetadata: { k: "\u0100".repeat(1024) } });
    await put("both", { httpMetadata: { contentType: "t/t" }, customMetadata: { c: "d" } });
    for (const [name, v] of Object.entries(r)) {
      if (v.head?.ok?.Object?.customMetadata?.Object?.k) {
        const k = v.head.ok.Object.customMetadata.Object;
        k.k = short(k.k);
      }
      if (v.ok?.Object?.customMetadata?.Object?.k) {
        const k = v.ok.Object.customMetadata.Object;
        k.k = short(k.k);
      }
    }
    r.customKeyOrder = await cap(async () => Object.keys((await B.head("m:custom")).customMetadata));
    return r;
  },

  // storageClass and ssecKey: not simulated by Miniflare.
  async "put-storage-class"(B) {
    const r = {};
    for (const [name, options] of [
      ["none", undefined],
      ["standard", { storageClass: "Standard" }],
      ["infrequent", { storageClass: "InfrequentAccess" }],
      ["bogus", { storageClass: "Bogus" }],
      ["ssecHex", { ssecKey: "0".repeat(64) }],
      ["ssecBadFormat", { ssecKey: "xyz" }],
      ["ssecShort", { ssecKey: "00" }],
      ["ssecBuffer", { ssecKey: new Uint8Array(32) }],
      ["ssecShortBuffer", { ssecKey: new Uint8Array(3) }],
    ]) {
      const key = `sc:${name}`;
      r[name] = await cap(async () => {
        const o = await B.put(key, "v", options);
        const h = await B.head(key);
        return [o.storageClass, o.ssecKeyMd5, h.storageClass, h.ssecKeyMd5];
      });
    }
    r.multipart = await cap(async () => {
      const u = await B.createMultipartUpload("sc:mp", { storageClass: "InfrequentAccess" });
      const p = await u.uploadPart(1, "x");
      const o = await u.complete([p]);
      return [o.storageClass, (await B.head("sc:mp")).storageClass];
    });
    r.getSsec = await cap(async () => brief(await B.get("sc:none", { ssecKey: "0".repeat(64) })));
    r.getSsecBad = await cap(() => B.get("sc:none", { ssecKey: "nothex" }));
    return r;
  },

  // put()'s checksums.
  async "put-checksums"(B) {
    const r = {};
    await B.put("ck:keep", "kept");
    const put = async (name, options, key = `ck:${name}`) => {
      const res = await cap(async () => {
        const o = await B.put(key, SUM_TEXT, options);
        return { etag: o.etag, checksums: o.checksums.toJSON() };
      });
      res.head = await cap(async () => {
        const o = await B.head(key);
        return o && o.checksums.toJSON();
      });
      r[name] = res;
    };
    await put("none", undefined);
    await put("md5Hex", { md5: SUMS.md5 });
    await put("md5Upper", { md5: SUMS.md5.toUpperCase() });
    await put("md5Buffer", { md5: hexBytes(SUMS.md5).buffer });
    await put("md5View", { md5: hexBytes(SUMS.md5) });
    await put("md5Wrong", { md5: wrongHex(SUMS.md5) });
    await put("md5Short", { md5: "abc" });
    await put("md5NotHex", { md5: "z".repeat(32) });
    await put("md5ShortBuffer", { md5: new Uint8Array(3) });
    await put("md5Number", { md5: 5 });
    await put("sha1", { sha1: SUMS.sha1 });
    await put("sha1Wrong", { sha1: wrongHex(SUMS.sha1) });
    await put("sha1Short", { sha1: "ab" });
    await put("sha256", { sha256: SUMS.sha256 });
    await put("sha256Buffer", { sha256: hexBytes(SUMS.sha256).buffer });
    await put("sha256Wrong", { sha256: wrongHex(SUMS.sha256) });
    await put("sha256Short", { sha256: "ab" });
    await put("sha256ShortBuffer", { sha256: new Uint8Array(31) });
    await put("sha384", { sha384: SUMS.sha384 });
    await put("sha384Wrong", { sha384: wrongHex(SUMS.sha384) });
    await put("sha384Short", { sha384: "ab" });
    await put("sha512", { sha512: SUMS.sha512 });
    await put("sha512Wrong", { sha512: wrongHex(SUMS.sha512) });
    await put("sha512Short", { sha512: "ab" });
    await put("two", { md5: SUMS.md5, sha1: SUMS.sha1 });
    await put("twoSha", { sha256: SUMS.sha256, sha512: SUMS.sha512 });
    // A mismatch leaves the old object.
    await put("keptOnMismatch", { sha256: wrongHex(SUMS.sha256) }, "ck:keep");
    r.keptText = await cap(async () => (await B.get("ck:keep")).text());
    r.headMd5 = await cap(async () => (await B.head("ck:sha256")).checksums.md5);
    r.headSha256 = await cap(async () => (await B.head("ck:sha256")).checksums.sha256);
    r.headSha1 = await cap(async () => (await B.head("ck:sha256")).checksums.sha1);
    r.emptyMd5 = await cap(async () => (await B.put("ck:empty", "")).etag);
    return r;
  },

  // writeHttpMetadata(headers).
  async "write-http-metadata"(B) {
    const r = {};
    const full = await B.put("w:full", "x", {
      httpMetadata: {
        contentType: "text/html",
        contentLanguage: "fr",
        contentDisposition: "inline",
        contentEncoding: "gzip",
        cacheControl: "max-age=60",
        cacheExpiry: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
      },
    });
    await B.put("w:none", "x");
    await B.put("w:type", "x", { httpMetadata: { contentType: "a/b" } });
    const write = (o, init) => {
      const h = new Headers(init);
      const ret = o.writeHttpMetadata(h);
      return { returned: ret, headers: [...h] };
    };
    r.fromPut = await cap(() => write(full));
    r.fromHead = await cap(async () => write(await B.head("w:full")));
    r.fromGet = await cap(async () => {
      const o = await B.get("w:full");
      const w = write(o, { "x-keep": "1" });
      await o.text();
      return w;
    });
    r.overwrites = await cap(async () => write(await B.head("w:type"), { "content-type": "old", "x-keep": "1", "cache-control": "kept" }));
    r.none = await cap(async () => write(await B.head("w:none"), { "x-keep": "1" }));
    r.listWithout = await cap(async () => write((await B.list({ prefix: "w:full" })).objects[0]));
    r.listWith = await cap(async () => write((await B.list({ prefix: "w:full", include: ["httpMetadata"] })).objects[0]));
    r.listCustomOnly = await cap(async () => write((await B.list({ prefix: "w:full", include: ["customMetadata"] })).objects[0]));
    r.noArgument = await cap(async () => (await B.head("w:full")).writeHttpMetadata());
    r.plainObject = await cap(async () => (await B.head("w:full")).writeHttpMetadata({}));
    r.response = await cap(async () => {
      const o = await B.get("w:full");
      const headers = new Headers();
      o.writeHttpMetadata(headers);
      headers.set("etag", o.httpEtag);
      const res = new Response(o.body, { headers });
      return [res.headers.get("content-type"), res.headers.get("etag"), res.headers.get("expires")];
    });
    return r;
  },

  // An R2ObjectBody's body and its readers.
  async "get-body"(B) {
    await B.put("b:json", '{"a":[1,"x"],"b":null}', { httpMetadata: { contentType: "application/json" } });
    await B.put("b:bytes", new Uint8Array([0, 1, 254, 255]));
    await B.put("b:empty", "");
    const get = (key) => B.get(key);
    const r = {};
    r.text = await cap(async () => (await get("b:json")).text());
    r.json = await cap(async () => (await get("b:json")).json());
    r.arrayBuffer = await cap(async () => (await get("b:bytes")).arrayBuffer());
    r.bytes = await cap(async () => (await get("b:bytes")).bytes());
    r.blob = await cap(async () => {
      const b = await (await get("b:json")).blob();
      return [b.constructor.name, b.type, b.size, await b.text()];
    });
    r.blobNoType = await cap(async () => {
      const b = await (await get("b:bytes")).blob();
      return [b.type, b.size];
    });
    r.body = await cap(async () => {
      const o = await get("b:bytes");
      const body = o.body;
      return [body instanceof ReadableStream, o.body === body, o.bodyUsed, new Uint8Array(await new Response(body).arrayBuffer()), o.bodyUsed];
    });
    r.bodyReader = await cap(async () => {
      const o = await get("b:json");
      const reader = o.body.getReader();
      const chunks = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value instanceof Uint8Array);
      }
      return [chunks.length > 0 && chunks.every((c) => c), o.bodyUsed];
    });
    r.usedTwice = await cap(async () => {
      const o = await get("b:json");
      const before = o.bodyUsed;
      await o.text();
      return [before, o.bodyUsed];
    });
    r.textTwice = await cap(async () => {
      const o = await get("b:json");
      await o.text();
      return o.text();
    });
    r.arrayBufferAfterText = await cap(async () => {
      const o = await get("b:json");
      await o.text();
      return o.arrayBuffer();
    });
    r.jsonAfterBody = await cap(async () => {
      const o = await get("b:json");
      await new Response(o.body).text();
      return o.json();
    });
    r.jsonInvalid = await capName(async () => (await get("b:bytes")).json());
    r.empty = await cap(async () => {
      const o = await get("b:empty");
      return [o.size, await o.text(), o.range];
    });
    r.emptyBody = await cap(async () => {
      const o = await get("b:empty");
      return [o.body instanceof ReadableStream, await new Response(o.body).text()];
    });
    // Unread bodies are fine.
    r.unread = await cap(async () => {
      await get("b:json");
      return (await get("b:json")).size;
    });
    return r;
  },

  // Ranged reads.
  async ranges(B) {
    await B.put("r", "0123456789");
    const r = {};
    const get = async (name, range) => {
      r[name] = await cap(async () => briefText(await B.get("r", { range })));
    };
    await get("offsetLength", { offset: 2, length: 3 });
    await get("offsetOnly", { offset: 7 });
    await get("lengthOnly", { length: 4 });
    await get("suffix", { suffix: 3 });
    await get("suffixWhole", { suffix: 10 });
    await get("suffixOver", { suffix: 20 });
    await get("lengthOver", { offset: 8, length: 5 });
    await get("offsetLast", { offset: 9 });
    await get("offsetAtEnd", { offset: 10 });
    await get("offsetPastEnd", { offset: 11 });
    await get("offsetPastEndLength", { offset: 11, length: 1 });
    await get("offsetZero", { offset: 0 });
    await get("lengthZero", { length: 0 });
    await get("offsetZeroLengthZero", { offset: 0, length: 0 });
    await get("offsetLengthZero", { offset: 3, length: 0 });
    await get("suffixZero", { suffix: 0 });
    await get("empty", {});
    await get("offsetNegative", { offset: -1 });
    await get("offsetFraction", { offset: 1.5 });
    await get("lengthNegative", { length: -1 });
    await get("lengthFraction", { length: 2.5 });
    await get("suffixNegative", { suffix: -1 });
    await get("suffixFraction", { suffix: 1.5 });
    await get("suffixAndOffset", { suffix: 2, offset: 1 });
    await get("suffixAndLength", { suffix: 2, length: 1 });
    await get("strings", { offset: "2", length: "3" });
    await get("notANumber", { offset: "x" });
    await get("rangeNull", null);
    const header = async (name, value) => {
      r[name] = await cap(async () => briefText(await B.get("r", { range: new Headers(value === undefined ? {} : { range: value }) })));
    };
    await header("headerFromTo", "bytes=2-4");
    await header("headerFrom", "bytes=5-");
    await header("headerSuffix", "bytes=-3");
    await header("headerSuffixOver", "bytes=-30");
    await header("headerToOver", "bytes=8-20");
    await header("headerWhole", "bytes=0-9");
    await header("headerTwo", "bytes=0-1,3-4");
    await header("headerUnsatisfiable", "bytes=20-30");
    await header("headerReversed", "bytes=5-2");
    await header("headerGarbage", "garbage");
    await header("headerOtherUnit", "items=0-1");
    await header("headerNone", undefined);
    r.missingKey = await cap(() => B.get("r-missing", { range: { offset: 2 } }));
    r.headHasRange = await cap(async () => (await B.head("r")).range);
    return r;
  },

  // Conditional get() and put().
  async conditionals(B) {
    const created = await B.put("c", "cond");
    const etag = created.etag;
    const at = created.uploaded.getTime();
    const later = new Date(at + 60000);
    const earlier = new Date(at - 60000);
    const r = {};
    const get = async (name, onlyIf, key = "c") => {
      r[name] = await cap(async () => briefText(await B.get(key, { onlyIf })));
    };
    await get("etagMatches", { etagMatches: etag });
    await get("etagMatchesWrong", { etagMatches: "wrong" });
    await get("etagMatchesStar", { etagMatches: "*" });
    await get("etagMatchesQuoted", { etagMatches: `"${etag}"` });
    await get("etagMatchesWeak", { etagMatches: `W/"${etag}"` });
    await get("etagDoesNotMatch", { etagDoesNotMatch: etag });
    await get("etagDoesNotMatchOther", { etagDoesNotMatch: "other" });
    await get("etagDoesNotMatchStar", { etagDoesNotMatch: "*" });
    await get("etagNotString", { etagMatches: 5 });
    await get("uploadedBeforeLater", { uploadedBefore: later });
    await get("uploadedBeforeEarlier", { uploadedBefore: earlier });
    await get("uploadedBeforeSame", { uploadedBefore: new Date(at) });
    await get("uploadedAfterEarlier", { uploadedAfter: earlier });
    await get("uploadedAfterLater", { uploadedAfter: later });
    await get("uploadedAfterSame", { uploadedAfter: new Date(at) });
    await get("uploadedAfterSameSeconds", { uploadedAfter: new Date(at), secondsGranularity: true });
    await get("uploadedBeforeNumber", { uploadedBefore: at + 60000 });
    await get("uploadedBeforeString", { uploadedBefore: "2000-01-01" });
    // If-Match wins over If-Unmodified-Since, If-None-Match over
    // If-Modified-Since (as in HTTP).
    await get("etagMatchesAndUploadedBeforeEarlier", { etagMatches: etag, uploadedBefore: earlier });
    await get("etagDoesNotMatchAndUploadedAfterLater", { etagDoesNotMatch: "other", uploadedAfter: later });
    await get("bothEtags", { etagMatches: etag, etagDoesNotMatch: etag });
    await get("empty", {});
    await get("missingKey", { etagMatches: etag }, "c-missing");
    await get("missingKeyNoMatch", { etagDoesNotMatch: etag }, "c-missing");
    const headers = async (name, init) => {
      r[name] = await cap(async () => briefText(await B.get("c", { onlyIf: new Headers(init) })));
    };
    await headers("ifMatch", { "if-match": `"${etag}"` });
    await headers("ifMatchWrong", { "if-match": '"wrong"' });
    await headers("ifMatchList", { "if-match": `"wrong", "${etag}"` });
    await headers("ifMatchStar", { "if-match": "*" });
    await headers("ifMatchWeak", { "if-match": `W/"${etag}"` });
    await headers("ifMatchUnquoted", { "if-match": etag });
    await headers("ifMatchUnclosed", { "if-match": `"${etag}` });
    await headers("ifMatchNoComma", { "if-match": `"a" "b"` });
    await headers("ifNoneMatch", { "if-none-match": `"${etag}"` });
    await headers("ifNoneMatchWeak", { "if-none-match": `W/"${etag}"` });
    await headers("ifNoneMatchOther", { "if-none-match": '"other"' });
    await headers("ifNoneMatchStar", { "if-none-match": "*" });
    await headers("ifModifiedSinceEarlier", { "if-modified-since": earlier.toUTCString() });
    await headers("ifModifiedSinceLater", { "if-modified-since": later.toUTCString() });
    await headers("ifUnmodifiedSinceLater", { "if-unmodified-since": later.toUTCString() });
    await headers("ifUnmodifiedSinceEarlier", { "if-unmodified-since": earlier.toUTCString() });
    await headers("ifModifiedSinceGarbage", { "if-modified-since": "garbage" });
    await headers("ifUnmodifiedSinceGarbage", { "if-unmodified-since": "garbage" });
    await headers("none", {});
    // Conditional put(): null when the condition fails, and nothing written.
    const put = async (name, key, value, onlyIf) => {
      const res = await cap(async () => brief(await B.put(key, value, { onlyIf })));
      res.after = await cap(async () => {
        const o = await B.get(key);
        return o && o.text();
      });
      r[name] = res;
    };
    await put("putEtagMatchesWrong", "c", "new", { etagMatches: "wrong" });
    await put("putEtagMatches", "c", "new2", { etagMatches: etag });
    await put("putEtagDoesNotMatchStar", "c", "new3", { etagDoesNotMatch: "*" });
    await put("putMissingEtagMatches", "c:fresh1", "v", { etagMatches: etag });
    await put("putMissingEtagMatchesStar", "c:fresh2", "v", { etagMatches: "*" });
    await put("putMissingEtagDoesNotMatchStar", "c:fresh3", "v", { etagDoesNotMatch: "*" });
    await put("putMissingUploadedAfter", "c:fresh4", "v", { uploadedAfter: earlier });
    await put("putMissingUploadedBefore", "c:fresh5", "v", { uploadedBefore: later });
    await put("putIfNoneMatchStarHeaders", "c", "new4", new Headers({ "if-none-match": "*" }));
    await put("putUploadedBeforeEarlier", "c", "new5", { uploadedBefore: earlier });
    await put("putUploadedAfterEarlier", "c", "new6", { uploadedAfter: earlier });
    return r;
  },

  // head().
  async head(B) {
    await B.put("h", "head me", { customMetadata: { h: "1" } });
    const r = {};
    r.present = await cap(async () => {
      const o = await B.head("h");
      return [o.constructor.name, "body" in o, o.key, o.size, o.etag, o.customMetadata, o.range];
    });
    r.missing = await cap(() => B.head("h-missing"));
    r.noArgument = await cap(() => B.head());
    r.extraArgument = await cap(async () => brief(await B.head("h", { range: { offset: 1 } })));
    r.nullKey = await cap(async () => {
      await B.put("null", "N");
      return brief(await B.head(null));
    });
    r.numberKey = await cap(async () => {
      await B.put("1", "one");
      return brief(await B.head(1));
    });
    r.getNoArgument = await cap(() => B.get());
    r.getUndefinedKey = await cap(async () => {
      await B.put("undefined", "U");
      return briefText(await B.get(undefined));
    });
    r.getOptionsString = await cap(() => B.get("h", "x"));
    // What an R2 error is: a plain Error, without R2Error's code.
    r.errorShape = await cap(async () => {
      try {
        await B.head("k".repeat(1025));
        return "no error";
      } catch (e) {
        return [e.constructor.name, e instanceof Error, Object.keys(e), e.code, e.action];
      }
    });
    r.rejects = await cap(async () => {
      const p = B.get();
      return [p instanceof Promise, await p.then(() => "resolved", (e) => e.name)];
    });
    return r;
  },

  // delete().
  async delete(B) {
    await clear(B);
    for (const k of ["d1", "d2", "d3", "d4", "null"]) await B.put(k, "v");
    const keys = async () => (await B.list()).objects.map((o) => o.key);
    const r = {};
    r.single = await cap(() => B.delete("d1"));
    r.singleGone = await cap(() => B.head("d1"));
    r.again = await cap(() => B.delete("d1"));
    r.missing = await cap(() => B.delete("never"));
    r.many = await cap(() => B.delete(["d2", "d3", "never"]));
    r.manyGone = await cap(keys);
    r.emptyArray = await cap(() => B.delete([]));
    r.noArgument = await cap(() => B.delete());
    r.null = await cap(() => B.delete(null));
    r.nullGone = await cap(keys);
    r.number = await cap(() => B.delete(5));
    r.longKey = await cap(() => B.delete("k".repeat(1025)));
    r.manyLongKey = await cap(() => B.delete(["d4", "k".repeat(1025)]));
    r.manyLongKeyKept = await cap(keys);
    r.thousandAndOne = await cap(() => B.delete(Array.from({ length: 1001 }, (_, i) => `nokey${i}`)));
    return r;
  },

  // list(): shape, order, prefix, delimiter, startAfter, include.
  async "list-basic"(B) {
    await clear(B);
    const r = {};
    r.empty = await cap(() => B.list());
    for (const k of ["a", "b", "a/b", "a/c/d", "a/c/e", "a0", "B", "\u00e9", "~", "a b", "\u{1F600}", "\uFB00"]) {
      await B.put(k, `value of ${k}`);
    }
    await B.put("meta", "m", {
      httpMetadata: { contentType: "text/meta", cacheExpiry: new Date(Date.UTC(2030, 0, 1)) },
      customMetadata: { m: "1" },
    });
    const keys = (l) => ({ keys: l.objects.map((o) => o.key), truncated: l.truncated, cursor: l.cursor, delimitedPrefixes: l.delimitedPrefixes });
    r.all = await cap(async () => keys(await B.list()));
    r.resultKeys = await cap(async () => Object.keys(await B.list()));
    r.resultProto = await cap(async () => Object.getPrototypeOf(await B.list()) === Object.prototype);
    r.entry = await cap(async () => (await B.list({ prefix: "meta" })).objects[0]);
    r.entryKeys = await cap(async () => Object.keys((await B.list({ prefix: "meta" })).objects[0]));
    r.entryNoMetadata = await cap(async () => (await B.list({ prefix: "a/b" })).objects[0]);
    const include = async (name, include, key = "meta") => {
      r[name] = await cap(async () => {
        const o = (await B.list({ prefix: key, include })).objects[0];
        return { httpMetadata: o.httpMetadata, customMetadata: o.customMetadata };
      });
    };
    await include("includeHttp", ["httpMetadata"]);
    await include("includeCustom", ["customMetadata"]);
    await include("includeBoth", ["httpMetadata", "customMetadata"]);
    await include("includeBothNone", ["httpMetadata", "customMetadata"], "a/b");
    await include("includeEmpty", []);
    await include("includeTwice", ["customMetadata", "customMetadata"]);
    await include("includeFoo", ["foo"]);
    await include("includeString", "httpMetadata");
    r.prefix = await cap(async () => keys(await B.list({ prefix: "a/" })));
    r.prefixNoMatch = await cap(async () => keys(await B.list({ prefix: "zzz" })));
    r.prefixEmpty = await cap(async () => (await B.list({ prefix: "" })).objects.length);
    r.prefixNumber = await cap(async () => keys(await B.list({ prefix: 1 })));
    r.prefixUnicode = await cap(async () => keys(await B.list({ prefix: "\u00e9" })));
    r.prefixUnderscore = await cap(async () => {
      await B.put("x_1", "v");
      await B.put("xy1", "v");
      await B.put("x%1", "v");
      return [keys(await B.list({ prefix: "x_" })), keys(await B.list({ prefix: "x%" }))];
    });
    r.prefixCase = await cap(async () => keys(await B.list({ prefix: "A" })));
    r.delimiter = await cap(async () => keys(await B.list({ delimiter: "/" })));
    r.delimiterPrefix = await cap(async () => keys(await B.list({ prefix: "a/", delimiter: "/" })));
    r.delimiterPrefixNoSlash = await cap(async () => keys(await B.list({ prefix: "a", delimiter: "/" })));
    r.delimiterLong = await cap(async () => keys(await B.list({ delimiter: "/c/" })));
    r.delimiterEmpty = await cap(async () => keys(await B.list({ delimiter: "" })));
    r.delimiterLetter = await cap(async () => keys(await B.list({ delimiter: "a" })));
    r.startAfter = await cap(async () => keys(await B.list({ startAfter: "a0" })));
    r.startAfterMissing = await cap(async () => keys(await B.list({ startAfter: "a1" })));
    r.startAfterPrefix = await cap(async () => keys(await B.list({ prefix: "a", startAfter: "a/c/d" })));
    r.startAfterEmpty = await cap(async () => (await B.list({ startAfter: "" })).objects.length);
    r.argNull = await cap(async () => (await B.list(null)).objects.length);
    r.argString = await cap(() => B.list("a"));
    return r;
  },

  // list()'s limit and cursor.
  async "list-paging"(B) {
    await clear(B);
    for (const k of ["a", "b", "c/1", "c/2", "c/3", "d", "e"]) await B.put(k, "v", { customMetadata: { k } });
    const keys = (l) => ({ keys: l.objects.map((o) => o.key), truncated: l.truncated, cursor: l.cursor, delimitedPrefixes: l.delimitedPrefixes });
    const r = {};
    for (const limit of [1, 2, 7, 8, 1000, 0, 1.5, "2"]) {
      r[`limit ${JSON.stringify(limit)}`] = await cap(async () => keys(await B.list({ limit })));
    }
    r["limit -1"] = await cap(async () => keys(await B.list({ limit: -1 })));
    r["limit 1001"] = await cap(() => B.list({ limit: 1001 }));
    r["limit 2^32+1"] = await cap(async () => keys(await B.list({ limit: 2 ** 32 + 1 })));
    r.resultKeysTruncated = await cap(async () => Object.keys(await B.list({ limit: 1 })));
    r.pages = await cap(async () => {
      const pages = [];
      let cursor;
      for (let i = 0; i < 10; i++) {
        const page = await B.list({ limit: 3, cursor });
        pages.push(keys(page));
        if (!page.truncated) break;
        cursor = page.cursor;
      }
      return pages;
    });
    r.delimiterPages = await cap(async () => {
      const pages = [];
      let cursor;
      for (let i = 0; i < 10; i++) {
        const page = await B.list({ limit: 2, cursor, delimiter: "/" });
        pages.push(keys(page));
        if (!page.truncated) break;
        cursor = page.cursor;
      }
      return pages;
    });
    r.cursorAndStartAfter = await cap(async () => {
      const first = await B.list({ limit: 1 });
      return [keys(await B.list({ cursor: first.cursor, startAfter: "c/2" })), keys(await B.list({ cursor: first.cursor, startAfter: "" }))];
    });
    r.cursorEmpty = await cap(async () => keys(await B.list({ cursor: "" })));
    r.cursorBogus = await cap(async () => keys(await B.list({ cursor: "bogus" })));
    r.cursorOfKey = await cap(async () => keys(await B.list({ cursor: btoa("c/2") })));
    r.cursorNotString = await cap(() => B.list({ cursor: 5 }));
    r.prefixLimit = await cap(async () => keys(await B.list({ prefix: "c/", limit: 2 })));
    return r;
  },

  // More than 1000 objects; include caps a page at 100.
  async "list-many"(B) {
    await clear(B);
    const all = Array.from({ length: 1001 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < all.length; i += 100) {
      await Promise.all(all.slice(i, i + 100).map((k) => B.put(k, "")));
    }
    const summary = (l) => ({
      count: l.objects.length,
      first: l.objects[0]?.key,
      last: l.objects.at(-1)?.key,
      truncated: l.truncated,
      cursor: enc(l.cursor),
    });
    const first = await B.list();
    const second = await B.list({ cursor: first.cursor });
    return {
      first: summary(first),
      second: summary(second),
      limit1000: summary(await B.list({ limit: 1000 })),
      includeHttp: summary(await B.list({ include: ["httpMetadata"] })),
      includeCustomLimit500: summary(await B.list({ include: ["customMetadata"], limit: 500 })),
      includeLimit50: summary(await B.list({ include: ["customMetadata"], limit: 50 })),
      includeEmpty: summary(await B.list({ include: [] })),
      deleteMany: await (async () => {
        await B.delete(all.slice(0, 1000));
        return summary(await B.list());
      })(),
    };
  },

  // Object names: length in UTF-8 bytes, odd characters.
  async keys(B) {
    await clear(B);
    const r = {};
    const put = async (name, key) => {
      const res = await cap(async () => (await B.put(key, `value of ${name}`)).size);
      res.get = await cap(async () => {
        const o = await B.get(key);
        return o && o.text();
      });
      res.head = await cap(async () => brief(await B.head(key))?.size);
      r[name] = res;
    };
    await put("1024 bytes", "k".repeat(1024));
    await put("1025 bytes", "k".repeat(1025));
    await put("512 e-acute (1024 bytes)", "\u00e9".repeat(512));
    await put("513 e-acute (1026 bytes)", "\u00e9".repeat(513));
    await put("empty", "");
    await put("dot", ".");
    await put("dotdot", "..");
    await put("slashes", "a/b/c");
    await put("leading slash", "/a");
    await put("dot segment", "a/../b");
    await put("unicode", "\u043a\u043b\u044e\u0447\u{1F511}");
    await put("nul", "a\u0000b");
    await put("spaces", " a b ");
    await put("percent", "%20");
    await put("number", 5);
    r.symbol = await cap(() => B.put(Symbol("s"), "v"));
    r.getLong = await cap(() => B.get("k".repeat(1025)));
    r.headLong = await cap(() => B.head("k".repeat(1025)));
    r.deleteLong = await cap(() => B.delete("k".repeat(1025)));
    r.createLong = await cap(() => B.createMultipartUpload("k".repeat(1025)));
    r.listLongPrefix = await cap(async () => (await B.list({ prefix: "k".repeat(1025) })).objects.length);
    r.listed = await cap(async () => (await B.list()).objects.map((o) => short(o.key)));
    return r;
  },

  // Multipart upload: the whole flow.
  async "multipart-flow"(B) {
    const r = {};
    const u = await B.createMultipartUpload("mp:obj", {
      httpMetadata: { contentType: "application/x-mp" },
      customMetadata: { m: "1" },
    });
    r.upload = enc(u);
    r.uploadKeys = Object.keys(u);
    r.uploadChain = chain(u);
    r.uploadIdLength = u.uploadId.length;
    r.notListed = await cap(async () => (await B.list({ prefix: "mp:" })).objects.length);
    const big = new Uint8Array(5 * MiB).fill(97);
    const p1 = await u.uploadPart(1, big);
    r.part = enc({ ...p1, etag: BASE64URL.test(p1.etag) ? "<partEtag>" : p1.etag });
    r.partKeys = Object.keys(p1);
    r.partProto = Object.getPrototypeOf(p1) === Object.prototype;
    r.partEtagLength = p1.etag.length;
    r.partEtagForm = BASE64URL.test(p1.etag);
    const p2 = await u.uploadPart(2, "tail");
    r.partNumbers = [p1.partNumber, p2.partNumber];
    r.etagsDiffer = p1.etag !== p2.etag;
    const done = await u.complete([p1, p2]);
    r.completed = enc(done);
    r.completedChecksums = enc(done.checksums.toJSON());
    r.head = await cap(async () => {
      const o = await B.head("mp:obj");
      return { class: o.constructor.name, size: o.size, etag: o.etag, httpEtag: o.httpEtag, checksums: o.checksums.toJSON(), httpMetadata: o.httpMetadata, customMetadata: o.customMetadata, range: o.range, versionMatches: o.version === done.version };
    });
    r.get = await cap(async () => {
      const o = await B.get("mp:obj");
      const text = await o.text();
      return [text.length, text.slice(0, 3), text.slice(-6), o.range];
    });
    r.rangeAcrossParts = await cap(async () => briefText(await B.get("mp:obj", { range: { offset: 5 * MiB - 2, length: 4 } })));
    r.rangeSecondPart = await cap(async () => briefText(await B.get("mp:obj", { range: { suffix: 3 } })));
    r.listed = await cap(async () => (await B.list({ prefix: "mp:" })).objects.map((o) => [o.key, o.size, o.etag]));
    r.completeAgain = await cap(() => u.complete([p1, p2]));
    r.uploadAfterComplete = await cap(() => u.uploadPart(3, "x"));
    r.abortAfterComplete = await cap(() => u.abort());
    // One part, smaller than 5 MiB, is fine.
    r.single = await cap(async () => {
      const s = await B.createMultipartUpload("mp:single");
      const p = await s.uploadPart(1, "only");
      const o = await s.complete([p]);
      const g = await B.get("mp:single");
      return [o.size, o.etag, o.checksums.toJSON(), o.httpMetadata, o.customMetadata, await g.text()];
    });
    // Resuming, from another R2MultipartUpload object.
    r.resume = await cap(async () => {
      const s = await B.createMultipartUpload("mp:resumed");
      const again = B.resumeMultipartUpload("mp:resumed", s.uploadId);
      const sync = !(again instanceof Promise);
      const p1 = await s.uploadPart(1, big);
      const p2 = await again.uploadPart(2, "resumed");
      const o = await again.complete([p1, p2]);
      return [sync, again.constructor.name, again.key, again.uploadId === s.uploadId, o.size, o.etag];
    });
    // Parts can be uploaded out of order and again; the last upload counts.
    r.reupload = await cap(async () => {
      const s = await B.createMultipartUpload("mp:re");
      const second = await s.uploadPart(2, "tail");
      const old = await s.uploadPart(1, "old");
      const first = await s.uploadPart(1, big);
      const stale = await cap(() => s.complete([old, second]));
      const o = await s.complete([{ partNumber: 1, etag: first.etag }, { etag: second.etag, partNumber: 2 }]);
      return [stale, old.etag === first.etag, o.size, o.etag];
    });
    // An in-progress upload does not change the object until completed.
    r.overwrite = await cap(async () => {
      await B.put("mp:over", "before");
      const s = await B.createMultipartUpload("mp:over");
      const p = await s.uploadPart(1, "after");
      const before = await (await B.get("mp:over")).text();
      await s.complete([p]);
      return [before, await (await B.get("mp:over")).text()];
    });
    // Completing with no parts.
    r.noParts = await cap(async () => {
      const s = await B.createMultipartUpload("mp:none");
      return brief(await s.complete([]));
    });
    r.abort = await cap(async () => {
      const s = await B.createMultipartUpload("mp:aborted");
      await s.uploadPart(1, "x");
      const ret = await s.abort();
      return [ret, await cap(() => s.abort()), await cap(() => s.uploadPart(1, "y")), await cap(() => s.complete([])), await cap(() => B.head("mp:aborted"))];
    });
    return r;
  },

  // Multipart upload errors.
  async "multipart-errors"(B) {
    const r = {};
    const u = await B.createMultipartUpload("mpe:obj");
    r.partZero = await cap(() => u.uploadPart(0, "x"));
    r.part10001 = await cap(() => u.uploadPart(10001, "x"));
    r.part10000 = await cap(async () => (await u.uploadPart(10000, "x")).partNumber);
    r.partNegative = await cap(() => u.uploadPart(-1, "x"));
    r.partString = await cap(async () => (await u.uploadPart("3", "x")).partNumber);
    r.partFraction = await cap(async () => (await u.uploadPart(4.7, "x")).partNumber);
    r.partNoValue = await cap(() => u.uploadPart(5));
    r.partNull = await cap(() => u.uploadPart(5, null));
    r.partStreamUnknownLength = await cap(() => u.uploadPart(5, streamOf(bytes("abc"))));
    r.partBlob = await cap(async () => (await u.uploadPart(6, new Blob(["blob"]))).partNumber);
    r.partEmpty = await cap(async () => (await u.uploadPart(7, "")).partNumber);
    const a = await u.uploadPart(1, "small one");
    const b = await u.uploadPart(2, "small two");
    r.tooSmall = await cap(() => u.complete([a, b]));
    r.wrongEtag = await cap(() => u.complete([{ partNumber: 1, etag: "wrong" }]));
    r.unknownPart = await cap(() => u.complete([{ partNumber: 9, etag: a.etag }]));
    r.duplicatePart = await cap(() => u.complete([a, a]));
    r.completePartZero = await cap(() => u.complete([{ partNumber: 0, etag: a.etag }]));
    r.completeNotArray = await cap(() => u.complete(a));
    r.completeMissingEtag = await cap(() => u.complete([{ partNumber: 1 }]));
    const big = new Uint8Array(5 * MiB).fill(98);
    const bigger = new Uint8Array(5 * MiB + 1).fill(99);
    const u2 = await B.createMultipartUpload("mpe:sizes");
    const q1 = await u2.uploadPart(1, big);
    const q2 = await u2.uploadPart(2, bigger);
    const q3 = await u2.uploadPart(3, "end");
    r.lastBiggerThanOthers = await cap(() => u2.complete([q1, q2]));
    r.unequalParts = await cap(() => u2.complete([q1, q2, q3]));
    r.outOfOrderSmallFirst = await cap(() => u2.complete([q3, q1]));
    // In any order, if the parts (by number) are fine.
    const q4 = await u2.uploadPart(4, big);
    r.outOfOrder = await cap(async () => brief(await u2.complete([q4, q1])));
    r.bogusId = await cap(async () => {
      const s = B.resumeMultipartUpload("mpe:obj", "bogus");
      return [s.uploadId, await cap(() => s.uploadPart(1, "x")), await cap(() => s.complete([])), await cap(() => s.abort())];
    });
    r.otherKey = await cap(async () => {
      const s = B.resumeMultipartUpload("mpe:other", u.uploadId);
      return [await cap(() => s.uploadPart(1, "x")), await cap(() => s.complete([a])), await cap(() => s.abort())];
    });
    r.resumeNoArguments = await cap(() => B.resumeMultipartUpload("k"));
    r.createOptions = await cap(async () => {
      const s = await B.createMultipartUpload("mpe:headers", {
        httpMetadata: new Headers({ "content-type": "x/y", "cache-control": "no-cache" }),
        customMetadata: { z: "26" },
      });
      const p = await s.uploadPart(1, "h");
      const o = await s.complete([p]);
      const h = await B.head("mpe:headers");
      return [o.httpMetadata, o.customMetadata, h.httpMetadata, h.customMetadata];
    });
    r.createMetadataTooLarge = await cap(async () => {
      const s = await B.createMultipartUpload("mpe:meta", { customMetadata: { k: "x".repeat(3000) } });
      const p = await s.uploadPart(1, "h");
      return brief(await s.complete([p]));
    });
    await u.abort();
    return r;
  },

  // Written before a restart ...
  async "persist-write"(B) {
    await clear(B);
    await B.put("p:text", "survives", {
      httpMetadata: { contentType: "text/plain", cacheExpiry: new Date(Date.UTC(2030, 0, 1)) },
      customMetadata: { p: "1" },
    });
    await B.put("p:bytes", new Uint8Array([0, 1, 2, 255]), {
      sha256: "3d1f57c984978ef98a18378c8166c1cb8ede02c03eeb6aee7e2f121dfeee3e56",
    });
    await B.put("p:gone", "deleted");
    await B.delete("p:gone");
    await B.put("p:over", "old", { customMetadata: { old: "yes" } });
    await B.put("p:over", "new");
    const u = await B.createMultipartUpload("p:multi");
    const p1 = await u.uploadPart(1, new Uint8Array(5 * MiB).fill(120));
    const p2 = await u.uploadPart(2, "end");
    await u.complete([p1, p2]);
    const pending = await B.createMultipartUpload("p:pending");
    const pp = await pending.uploadPart(1, "pending part");
    const before = {};
    for (const o of (await B.list({ prefix: "p:" })).objects) {
      before[o.key] = { size: o.size, etag: o.etag, version: o.version, uploaded: o.uploaded.getTime() };
    }
    // What persist-read needs to know, kept in the bucket itself.
    await B.put("state", JSON.stringify({ uploadId: pending.uploadId, part: pp, before }));
    return (await B.list({ prefix: "p:" })).objects.map((o) => [o.key, o.size, o.etag]);
  },

  // ... and read after it.
  async "persist-read"(B) {
    const state = await (await B.get("state")).json();
    const r = {};
    r.text = await cap(async () => {
      const o = await B.get("p:text");
      return [await o.text(), o.httpMetadata, o.customMetadata];
    });
    r.bytes = await cap(async () => {
      const o = await B.get("p:bytes");
      return [await o.arrayBuffer(), o.checksums.toJSON()];
    });
    r.gone = await cap(() => B.head("p:gone"));
    r.over = await cap(async () => {
      const o = await B.get("p:over");
      return [await o.text(), o.customMetadata];
    });
    r.multi = await cap(async () => {
      const o = await B.get("p:multi");
      const text = await o.text();
      return [o.size, o.etag, text.length, text.slice(-5)];
    });
    r.same = await cap(async () => {
      const now = {};
      for (const o of (await B.list({ prefix: "p:" })).objects) {
        now[o.key] = { size: o.size, etag: o.etag, version: o.version, uploaded: o.uploaded.getTime() };
      }
      return Object.keys(state.before).map((k) => [k, JSON.stringify(now[k]) === JSON.stringify(state.before[k])]);
    });
    r.pending = await cap(async () => {
      const u = B.resumeMultipartUpload("p:pending", state.uploadId);
      const o = await u.complete([state.part]);
      return [o.size, await (await B.get("p:pending")).text()];
    });
    r.listed = await cap(async () => (await B.list({ prefix: "p:" })).objects.map((o) => [o.key, o.size, o.etag]));
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
      return Response.json(await scenario(env.BUCKET, url, env));
    } catch (e) {
      return Response.json({ uncaught: errj(e), stack: String(e?.stack) }, { status: 500 });
    }
  },
};
