// The Cache API: `caches.default`, `caches.open(name)`, and each Cache's
// put, match and delete, as workerd's binding behaves in front of wrangler
// dev's local cache (Miniflare's cache object): put() keeps a response only
// when a shared HTTP cache may (RFC 9111, as the npm http-cache-semantics
// package decides it, which is what Miniflare uses), for as long as its
// headers allow; match() answers with the stored headers plus
// `CF-Cache-Status: HIT`, and honours Range, If-None-Match and
// If-Modified-Since. Entries live in ops/src/cache/ (SQLite, per cache).

(function () {
const { core, primordials } = __bootstrap;
const { op_cache_put, op_cache_match, op_cache_delete } = core.ops;
const {
  ArrayPrototypeFilter,
  ArrayPrototypeJoin,
  ArrayPrototypeMap,
  ArrayPrototypePush,
  DateNow,
  DatePrototypeToUTCString,
  DateParse,
  JSONParse,
  JSONStringify,
  MathMax,
  MathMin,
  MathRound,
  NumberIsFinite,
  NumberIsNaN,
  NumberParseInt,
  ObjectDefineProperty,
  ObjectPrototypeIsPrototypeOf,
  RegExpPrototypeExec,
  RegExpPrototypeTest,
  SafeMap,
  String,
  StringPrototypeIncludes,
  StringPrototypeReplace,
  StringPrototypeSplit,
  StringPrototypeSubstring,
  StringPrototypeToLowerCase,
  StringPrototypeTrim,
  StringPrototypeTrimStart,
  Symbol,
  SymbolToStringTag,
  TypeError,
  Uint8Array,
} = primordials;

const requestMod = core.loadExtScript("ext:deno_fetch/23_request.js");
const responseMod = core.loadExtScript("ext:deno_fetch/23_response.js");
const { Headers } = core.loadExtScript("ext:deno_fetch/20_headers.js");
const { Request } = requestMod;
const { Response } = responseMod;

const illegal = Symbol("illegal constructor");
const _name = Symbol("cache name");

// ---------------------------------------------------------------------------
// What a shared cache may store, and for how long.

const CACHEABLE_BY_DEFAULT = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];
const UNDERSTOOD = [200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501];
/** Dropped from what is stored: `date` too, which is stamped anew. */
const HOP_BY_HOP = [
  "date",
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
const DAY_SECONDS = 24 * 3600;

function includes(list, value) {
  for (const item of list) if (item === value) return true;
  return false;
}

/** `Cache-Control` as a map of directive to value (`true` without one). */
function parseCacheControl(header) {
  const directives = new SafeMap();
  if (!header) return directives;
  for (const part of StringPrototypeSplit(StringPrototypeTrim(header), ",")) {
    const at = part.indexOf("=");
    const name = StringPrototypeTrim(at === -1 ? part : StringPrototypeSubstring(part, 0, at));
    const value = at === -1
      ? true
      : StringPrototypeReplace(StringPrototypeTrim(StringPrototypeSubstring(part, at + 1)), /^"|"$/g, "");
    directives.set(name, value);
  }
  return directives;
}

function numberOrZero(text) {
  const n = NumberParseInt(text, 10);
  return NumberIsFinite(n) ? n : 0;
}

/** Header names in lower case to their (combined) value. */
function headerObject(headers) {
  const out = new SafeMap();
  for (const [name, value] of headers) out.set(StringPrototypeToLowerCase(name), value);
  return out;
}

/**
 * The policy for storing `status` with `headers` (a map, lower-case names)
 * for a request carrying `requestHeaders`, at time `now` (ms): whether it
 * may be stored, for how many milliseconds, and the headers to store.
 */
function cachePolicy(requestHeaders, status, headers, now) {
  const cc = parseCacheControl(headers.get("cache-control"));
  if (!headers.has("cache-control") && /no-cache/.test(headers.get("pragma") ?? "")) {
    cc.set("no-cache", true);
  }
  const requestCc = parseCacheControl(requestHeaders.get("cache-control"));
  const authorized = requestHeaders.has("authorization");
  const storable = !requestCc.has("no-store") &&
    includes(UNDERSTOOD, status) &&
    !cc.has("no-store") &&
    !cc.has("private") &&
    (!authorized || cc.has("must-revalidate") || cc.has("public") || cc.has("s-maxage")) &&
    (headers.has("expires") || cc.has("max-age") || cc.has("s-maxage") || cc.has("public") ||
      includes(CACHEABLE_BY_DEFAULT, status)) &&
    !headers.has("set-cookie");

  const serverDate = (() => {
    const parsed = DateParse(headers.get("date"));
    return NumberIsFinite(parsed) ? parsed : now;
  })();
  const age = numberOrZero(headers.get("age"));
  const maxAge = (() => {
    if (!storable || cc.has("no-cache") || headers.get("vary") === "*") return 0;
    if (cc.has("proxy-revalidate")) return 0;
    if (cc.get("s-maxage")) return numberOrZero(cc.get("s-maxage"));
    if (cc.get("max-age")) return numberOrZero(cc.get("max-age"));
    const minimum = cc.has("immutable") ? DAY_SECONDS * 1000 : 0;
    if (headers.has("expires")) {
      const expires = DateParse(headers.get("expires"));
      return NumberIsNaN(expires) || expires < serverDate
        ? 0
        : MathMax(minimum, (expires - serverDate) / 1000);
    }
    if (headers.has("last-modified")) {
      const lastModified = DateParse(headers.get("last-modified"));
      if (NumberIsFinite(lastModified) && serverDate > lastModified) {
        return MathMax(minimum, ((serverDate - lastModified) / 1000) * 0.1);
      }
    }
    return minimum;
  })();
  const fresh = maxAge - age;
  const ttlSeconds = MathMax(
    0,
    fresh,
    fresh + numberOrZero(cc.get("stale-if-error")),
    fresh + numberOrZero(cc.get("stale-while-revalidate")),
  );

  // workerd never sends Connection, so no header is dropped for being
  // named in it.
  const stored = [];
  let warning;
  for (const [name, value] of headers) {
    // `age` and `date` are stamped anew below.
    if (includes(HOP_BY_HOP, name) || name === "age") continue;
    if (name === "warning") {
      const kept = ArrayPrototypeFilter(StringPrototypeSplit(value, ","), (w) => !/^\s*1[0-9][0-9]/.test(w));
      if (kept.length > 0) warning = StringPrototypeTrim(ArrayPrototypeJoin(kept, ","));
      continue;
    }
    ArrayPrototypePush(stored, [name, value]);
  }
  const explicit = cc.has("s-maxage") || cc.has("max-age") || headers.has("expires");
  if (age > DAY_SECONDS && !explicit && maxAge > DAY_SECONDS) {
    warning = (warning ? `${warning}, ` : "") + '113 - "rfc7234 5.5.4"';
  }
  if (warning !== undefined) ArrayPrototypePush(stored, ["warning", warning]);
  ArrayPrototypePush(stored, ["age", `${MathRound(age)}`]);
  ArrayPrototypePush(stored, ["date", DatePrototypeToUTCString(new Date(now))]);
  return { storable, ttl: ttlSeconds * 1000, headers: stored };
}

// ---------------------------------------------------------------------------
// Answering from the cache.

const RANGE_PREFIX = /^ *bytes *=/i;
const RANGE = /^ *(\d+)? *- *(\d+)? *$/;

/** The byte ranges of a Range header: [] for none, undefined when unsatisfiable. */
function parseRanges(header, length) {
  const prefix = RegExpPrototypeExec(RANGE_PREFIX, header);
  if (prefix === null) return undefined;
  const rest = StringPrototypeSubstring(header, prefix[0].length);
  if (StringPrototypeTrimStart(rest) === "") return [];
  const ranges = [];
  for (const part of StringPrototypeSplit(rest, ",")) {
    const match = RegExpPrototypeExec(RANGE, part);
    if (match === null) return undefined;
    const [, start, end] = match;
    if (start !== undefined && end !== undefined) {
      const from = NumberParseInt(start);
      let to = NumberParseInt(end);
      if (from > to || from >= length) return undefined;
      if (to >= length) to = length - 1;
      ArrayPrototypePush(ranges, { start: from, end: to });
    } else if (start !== undefined) {
      const from = NumberParseInt(start);
      if (from >= length) return undefined;
      ArrayPrototypePush(ranges, { start: from, end: length - 1 });
    } else if (end !== undefined) {
      const suffix = NumberParseInt(end);
      if (suffix >= length) return [];
      if (suffix === 0) continue;
      ArrayPrototypePush(ranges, { start: length - suffix, end: length - 1 });
    } else {
      return undefined;
    }
  }
  return ranges;
}

const ETAG = /^(W\/)?"(.+)"$/;
const UTC_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d\d\d \d\d:\d\d:\d\d GMT$/;

function etagValue(text) {
  return RegExpPrototypeExec(ETAG, StringPrototypeTrim(text))?.[2];
}

function utcDate(text) {
  return RegExpPrototypeTest(UTC_DATE, text) ? DateParse(text) : NaN;
}

function randomBoundary() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = "";
  for (const b of bytes) hex += (b < 16 ? "0" : "") + b.toString(16);
  return `kiln-boundary-${hex}`;
}

/** The Response match() gives for a stored entry and a request's headers. */
function answer(requestHeaders, status, stored, body) {
  const headers = new Headers(stored);
  headers.set("CF-Cache-Status", "HIT");
  const range = requestHeaders.get("range");
  let ranges = [];
  if (range !== null) {
    ranges = body.byteLength === 0 ? undefined : parseRanges(range, body.byteLength);
    if (ranges === undefined) {
      return new Response(null, {
        status: 416,
        statusText: REASONS[416],
        headers: [["Content-Range", `bytes */${body.byteLength}`], ["CF-Cache-Status", "HIT"]],
      });
    }
  }
  const ifNoneMatch = requestHeaders.get("if-none-match");
  const etag = headers.get("etag");
  if (ifNoneMatch !== null && etag !== null) {
    const stored = etagValue(etag);
    if (stored !== undefined) {
      if (StringPrototypeTrim(ifNoneMatch) === "*") return new Response(null, { status: 304, statusText: REASONS[304], headers });
      for (const candidate of StringPrototypeSplit(ifNoneMatch, ",")) {
        if (stored === etagValue(candidate)) return new Response(null, { status: 304, statusText: REASONS[304], headers });
      }
    }
  }
  const ifModifiedSince = requestHeaders.get("if-modified-since");
  const lastModified = headers.get("last-modified");
  if (ifModifiedSince !== null && lastModified !== null) {
    if (utcDate(lastModified) <= utcDate(ifModifiedSince)) {
      return new Response(null, { status: 304, statusText: REASONS[304], headers });
    }
  }
  if (ranges.length === 1) {
    const { start, end } = ranges[0];
    headers.set("Content-Range", `bytes ${start}-${end}/${body.byteLength}`);
    headers.set("Content-Length", `${end - start + 1}`);
    return new Response(body.subarray(start, end + 1), { status: 206, statusText: REASONS[206], headers });
  }
  if (ranges.length > 1) {
    const boundary = randomBoundary();
    const contentType = headers.get("content-type");
    const parts = [];
    for (let i = 0; i < ranges.length; i++) {
      const { start, end } = ranges[i];
      let head = i > 0 ? "\r\n" : "";
      head += `--${boundary}\r\n`;
      if (contentType !== null) head += `Content-Type: ${contentType}\r\n`;
      head += `Content-Range: bytes ${start}-${MathMin(end, body.byteLength - 1)}/${body.byteLength}\r\n\r\n`;
      ArrayPrototypePush(parts, core.encode(head), body.subarray(start, end + 1));
    }
    ArrayPrototypePush(parts, core.encode(`\r\n--${boundary}--`));
    let total = 0;
    for (const part of parts) total += part.byteLength;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.byteLength;
    }
    headers.set("Content-Type", `multipart/byteranges; boundary=${boundary}`);
    headers.delete("Content-Length");
    return new Response(joined, { status: 206, statusText: REASONS[206], headers });
  }
  return new Response(body, { status, statusText: REASONS[status] ?? "", headers });
}

// ---------------------------------------------------------------------------
// The API.

const REASONS = {
  200: "OK", 203: "Non-Authoritative Information", 204: "No Content", 206: "Partial Content",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
  304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 404: "Not Found",
  405: "Method Not Allowed", 410: "Gone", 414: "URI Too Long", 416: "Range Not Satisfiable",
  501: "Not Implemented",
};

function argumentError(method, position, type) {
  return new TypeError(
    `Failed to execute '${method}' on 'Cache': parameter ${position} is not of type '${type}'.`,
  );
}

function unimplemented(method, on) {
  return () => {
    throw new Error(`Failed to execute '${method}' on '${on}': the method is not implemented.`);
  };
}

/** The key as a Request, with workerd's message for a URL it cannot parse. */
function coerceRequest(method, input) {
  if (input === undefined) throw argumentError(method, 1, "Request or string");
  if (ObjectPrototypeIsPrototypeOf(requestMod.RequestPrototype, input)) return input;
  const text = String(input);
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Invalid URL: ${text}`);
  }
  // The Fetch standard's Request refuses credentials in its own words.
  if (url.username !== "" || url.password !== "") throw new TypeError(INVALID_KEY);
  return new globalThis.Request(url.href);
}

/** The options of match() and delete(): only `ignoreMethod` exists. */
function queryOptions(method, options) {
  if (options === undefined || options === null) return false;
  if (typeof options !== "object") throw argumentError(method, 2, "CacheQueryOptions");
  for (const field of ["ignoreSearch", "ignoreVary", "cacheName"]) {
    if (options[field] !== undefined) {
      throw new Error(`The '${field}' field on 'CacheQueryOptions' is not implemented.`);
    }
  }
  return !!options.ignoreMethod;
}

const INVALID_KEY = "Invalid URL. Cache API keys must be fully-qualified, valid URLs.";

/**
 * The URL a request is stored under, or null when the cache cannot hold it
 * (a scheme other than http and https: put() stores nothing, match() and
 * delete() fail as a fetch of it would).
 */
function checkedUrl(request) {
  const url = new URL(request.url);
  if (url.protocol === "data:" || url.username !== "" || url.password !== "") {
    throw new TypeError(INVALID_KEY);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.hash = "";
  return url.href;
}

/** The key an entry is stored under: `cf.cacheKey`, else the URL. */
function keyOf(request, url) {
  const key = request.cf?.cacheKey;
  return key ? String(key) : url;
}

async function gzip(bytes) {
  const stream = new Response(bytes).body.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

class Cache {
  constructor(key, name) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_name] = name;
  }

  async put(...args) {
    const [requestOrUrl, response] = args;
    if (args.length < 1) throw argumentError("put", 1, "Request or string");
    if (!ObjectPrototypeIsPrototypeOf(responseMod.ResponsePrototype, response)) {
      throw argumentError("put", 2, "Response");
    }
    if (response.type === "error") throw new TypeError("Cache is unable to store an error response");
    const request = coerceRequest("put", requestOrUrl);
    if (request.method !== "GET") throw new TypeError("Cannot cache response to non-GET request.");
    if (response.status === 206) {
      throw new TypeError("Cannot cache response to a range request (206 Partial Content).");
    }
    const vary = response.headers.get("vary");
    if (vary !== null && StringPrototypeIncludes(vary, "*")) {
      throw new TypeError("Cannot cache response with 'Vary: *' header.");
    }
    if (response.status === 304) return undefined;
    if (response.bodyUsed) {
      throw new TypeError(
        "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.",
      );
    }
    if (response.body?.locked) throw new TypeError("The ReadableStream has been locked to a reader.");
    if (response.webSocket !== null && response.webSocket !== undefined) {
      throw new TypeError(
        'Worker tried to return a WebSocket in a response to a request which did not contain the header "Upgrade: websocket".',
      );
    }
    // workerd sends the body as it would to a client: with its length when
    // it knows it (a stream's it does not), encoded as Content-Encoding says.
    const inner = responseMod.toInnerResponse(response);
    let knownLength = inner.body === null || inner.body.source !== null;
    let body = new Uint8Array(await response.arrayBuffer());
    const url = checkedUrl(request);
    if (url === null) return undefined;
    const headers = headerObject(response.headers);
    if (StringPrototypeToLowerCase(headers.get("content-encoding") ?? "") === "gzip") {
      body = await gzip(body);
      knownLength = false;
    }
    if (knownLength) headers.set("content-length", `${body.byteLength}`);
    let cacheControl = headers.get("cache-control");
    if (
      cacheControl !== undefined &&
      StringPrototypeIncludes(StringPrototypeToLowerCase(cacheControl), "private=set-cookie")
    ) {
      cacheControl = StringPrototypeReplace(
        StringPrototypeToLowerCase(cacheControl),
        /private=set-cookie;?/i,
        "",
      );
      headers.set("cache-control", cacheControl);
      headers.delete("set-cookie");
    }
    const requestHeaders = headerObject(request.headers);
    requestHeaders.delete("cache-control");
    const now = DateNow();
    const policy = cachePolicy(requestHeaders, response.status, headers, now);
    // What the cache may not keep is dropped without a word: the cache
    // answers workerd's PUT with 413, which workerd ignores. A response with
    // a null-body status cannot be stored either.
    if (!policy.storable || response.status === 204 || response.status === 205) return undefined;
    // A response that may be kept for no time replaces what was there with
    // nothing.
    if (policy.ttl <= 0) {
      op_cache_delete(this[_name], keyOf(request, url));
      return undefined;
    }
    const head = JSONStringify({ status: response.status, headers: policy.headers });
    op_cache_put(this[_name], keyOf(request, url), head, body, (now + policy.ttl) / 1000);
    return undefined;
  }

  async match(...args) {
    const [requestOrUrl, options] = args;
    const request = coerceRequest("match", requestOrUrl);
    const ignoreMethod = queryOptions("match", options);
    if (!ignoreMethod && request.method !== "GET") return undefined;
    const url = checkedUrl(request);
    if (url === null) throw new TypeError(`Fetch API cannot load: ${request.url}`);
    const found = op_cache_match(this[_name], keyOf(request, url));
    if (found === null) return undefined;
    const { status, headers } = JSONParse(found.head);
    return answer(request.headers, status, headers, new Uint8Array(found.body));
  }

  async delete(...args) {
    const [requestOrUrl, options] = args;
    const request = coerceRequest("delete", requestOrUrl);
    const ignoreMethod = queryOptions("delete", options);
    if (!ignoreMethod && request.method !== "GET") return false;
    const url = checkedUrl(request);
    if (url === null) throw new TypeError(`Fetch API cannot load: ${request.url}`);
    return op_cache_delete(this[_name], keyOf(request, url));
  }

  get [SymbolToStringTag]() {
    return "Cache";
  }
}
Cache.prototype.add = unimplemented("add", "Cache");
Cache.prototype.addAll = unimplemented("addAll", "Cache");
Cache.prototype.matchAll = unimplemented("matchAll", "Cache");
Cache.prototype.keys = unimplemented("keys", "Cache");

const DEFAULT = "default";
const MAX_NAME_BYTES = 1024;

class CacheStorage {
  constructor(key) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    ObjectDefineProperty(this, "default", {
      value: new Cache(illegal, DEFAULT),
      writable: false,
      enumerable: true,
      configurable: true,
    });
  }
  async open(...args) {
    if (args.length < 1) {
      throw new TypeError(
        "Failed to execute 'open' on 'CacheStorage': parameter 1 is not of type 'string'.",
      );
    }
    const name = String(args[0]);
    if (core.encode(name).byteLength >= MAX_NAME_BYTES) throw new TypeError("Cache name is too long.");
    // The empty name is the default cache; "default" is a cache of its own.
    return new Cache(illegal, name === "" ? DEFAULT : `named:${name}`);
  }
  get [SymbolToStringTag]() {
    return "CacheStorage";
  }
}
CacheStorage.prototype.match = unimplemented("match", "CacheStorage");
CacheStorage.prototype.has = unimplemented("has", "CacheStorage");
CacheStorage.prototype.delete = unimplemented("delete", "CacheStorage");
CacheStorage.prototype.keys = unimplemented("keys", "CacheStorage");

const caches = new CacheStorage(illegal);

return { Cache, CacheStorage, caches };
})();
