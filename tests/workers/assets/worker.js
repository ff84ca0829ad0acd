// The Workers static assets test worker (tests/e2e/assets.rs). Asset misses
// (and everything, under run_worker_first) reach this worker:
// - `/binding?path=P&how=string|request|manual[&method=M]` fetches P through
//   env.ASSETS (a string URL on an unrelated host, a Request carrying the
//   incoming headers, or a string URL with `redirect: "manual"`) and answers
//   {status, headers, body} as JSON (headers sorted, Miniflare's debug-only
//   `x-mf-*` headers left out);
// - `/binding-type` describes env.ASSETS;
// - a request with `x-via-binding: 1` is answered by `env.ASSETS.fetch(request)`;
// - anything else: `worker: <pathname>` with `x-from: worker`.
async function describe(response) {
  const headers = {};
  for (const [name, value] of [...response.headers].sort()) {
    if (!name.startsWith("x-mf-")) headers[name] = value;
  }
  return { status: response.status, headers, body: await response.text() };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.headers.get("x-via-binding") === "1") {
      return env.ASSETS.fetch(request);
    }
    if (url.pathname === "/binding") {
      const path = url.searchParams.get("path");
      const how = url.searchParams.get("how") || "string";
      let response;
      if (how === "string") {
        response = await env.ASSETS.fetch("http://x" + path);
      } else if (how === "manual") {
        response = await env.ASSETS.fetch("http://x" + path, { redirect: "manual" });
      } else {
        const headers = new Headers(request.headers);
        response = await env.ASSETS.fetch(
          new Request(new URL(path, url), { method: url.searchParams.get("method") || "GET", headers }),
        );
      }
      return Response.json(await describe(response));
    }
    if (url.pathname === "/binding-type") {
      return Response.json({
        type: typeof env.ASSETS,
        string: String(env.ASSETS),
        constructor: env.ASSETS?.constructor?.name,
        fetch: typeof env.ASSETS?.fetch,
      });
    }
    return new Response(`worker: ${url.pathname}`, { headers: { "x-from": "worker" } });
  },
};
