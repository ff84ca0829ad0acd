// One script, two workers (old.toml and new.toml) with different
// compatibility dates and a service binding from "old" to "new".
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/whoami":
        return new Response(env.NAME);
      case "/method":
        // upper_case_all_http_methods (default from 2024-10-14) decides
        // whether a non-standard method name is upper-cased.
        return new Response(new Request("http://example.com/", { method: "patch" }).method);
      case "/call-new": {
        const reply = await env.NEW.fetch("http://new.internal/method");
        return new Response(`new said ${reply.status} ${await reply.text()}`);
      }
      case "/echo":
        return new Response(request.body, { headers: { "x-echoed-by": env.NAME } });
      case "/echo-via-new": {
        const reply = await env.NEW.fetch("http://new.internal/echo", {
          method: "POST",
          body: request.body,
        });
        return new Response(reply.body, {
          headers: { "x-echoed-by": reply.headers.get("x-echoed-by") },
        });
      }
      case "/missing-binding":
        try {
          await env.GONE.fetch("http://gone/");
          return new Response("no error");
        } catch (e) {
          return new Response(`${e.name}: ${e.message}`, { status: 502 });
        }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
