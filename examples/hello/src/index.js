// The example `make dev` serves: try http://127.0.0.1:8787/ and /?name=you
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const name = url.searchParams.get("name") ?? "world";
    console.log(`${request.method} ${url.pathname}`);
    return new Response(`${env.GREETING}, ${name}! (served by kiln)\n`);
  },
};
