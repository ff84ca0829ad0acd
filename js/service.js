// Service bindings: `env.BINDING` is a Fetcher whose `fetch()` sends the
// request to another worker of this kiln process (ops/src/service/).
// Also the one place that turns a Request/Response body into what the ops
// take: static bytes, or a stream handed over as a resource.

(function () {
const { core, primordials } = __bootstrap;
const { op_kiln_service_fetch, op_kiln_assets_fetch } = core.ops;
const {
  ObjectPrototypeIsPrototypeOf,
  PromiseResolve,
  Symbol,
  SymbolToStringTag,
  TypeError,
  Uint8Array,
} = primordials;
const streams = core.loadExtScript("ext:deno_web/06_streams.js");
const requestMod = core.loadExtScript("ext:deno_fetch/23_request.js");
const responseMod = core.loadExtScript("ext:deno_fetch/23_response.js");

const EMPTY = new Uint8Array(0);

/**
 * An inner body (deno_fetch's InnerBody, or null) as op arguments: a static
 * body travels as bytes, a stream as the id of a readable resource.
 */
function bodyForOp(body) {
  if (body === null) return { bytes: EMPTY, streamRid: null };
  if (body.unusable()) {
    throw new TypeError("Body is unusable: the body was already read.");
  }
  const source = body.streamOrStatic;
  if (ObjectPrototypeIsPrototypeOf(streams.ReadableStreamPrototype, source)) {
    return {
      bytes: EMPTY,
      streamRid: streams.resourceForReadableStream(source, body.length),
    };
  }
  source.consumed = true;
  const bytes = typeof source.body === "string"
    ? core.encode(source.body)
    : source.body;
  return { bytes, streamRid: null };
}

/**
 * Sends `request` to another worker of the process through `send` (one of
 * the ops that do so) and makes a Response of the answer.
 */
async function subrequest(request, send) {
  const inner = requestMod.toInnerRequest(request);
  const { bytes, streamRid } = bodyForOp(inner.body);
  const reply = await send(inner.method, inner.url(), inner.headerList, bytes, streamRid);
  const body = reply.bodyRid === null
    ? null
    : streams.readableStreamForRid(reply.bodyRid);
  const nullBody = responseMod.nullBodyStatus(reply.status);
  return new responseMod.Response(nullBody ? null : body, {
    status: reply.status,
    headers: reply.headers,
  });
}

const ASSETS = Symbol("assets");

class Fetcher {
  #binding;

  /** `binding`: a service binding's name, or ASSETS for `env.ASSETS`. */
  constructor(binding) {
    this.#binding = binding;
  }

  fetch(input, init = undefined) {
    const request = new globalThis.Request(input, init);
    const binding = this.#binding;
    if (binding === ASSETS) return fetchAssets(request);
    return subrequest(request, (method, url, headers, bytes, streamRid) =>
      op_kiln_service_fetch(binding, method, url, headers, bytes, streamRid)
    );
  }

  connect() {
    throw new TypeError("Fetcher.connect() is not supported by kiln.");
  }

  get [SymbolToStringTag]() {
    return "Fetcher";
  }
}

/**
 * `env.ASSETS.fetch()` (`[assets] binding`): the worker's assets. Like any
 * fetch() it follows redirects unless the request says `redirect: "manual"`
 * (as an incoming request does).
 */
async function fetchAssets(request) {
  {
    for (let hops = 0; ; hops++) {
      const current = request;
      const response = await subrequest(current, (method, url, headers) =>
        PromiseResolve(op_kiln_assets_fetch(method, url, headers))
      );
      const location = response.headers.get("location");
      if (response.status < 300 || response.status > 399 || location === null) return response;
      if (current.redirect === "manual") return response;
      if (current.redirect === "error" || hops >= 20) {
        throw new TypeError("Fetch failed: too many redirects, or redirect: \"error\".");
      }
      request = new globalThis.Request(new URL(location, current.url), {
        method: current.method === "HEAD" ? "HEAD" : "GET",
        headers: current.headers,
        redirect: current.redirect,
      });
    }
  }
}

return { ASSETS, bodyForOp, Fetcher, subrequest };
})();
