// The HTTP limits' test worker (tests/e2e/limits.rs): reads a request's
// body and says how it went.
export default {
  async fetch(request) {
    if (request.method === "POST") {
      try {
        const text = await request.text();
        return new Response(`read ${text.length} bytes`);
      } catch (error) {
        return new Response(`the body failed: ${error.name}`, { status: 400 });
      }
    }
    return new Response("ok");
  },
};
