// Calls the "slow" worker through a service binding on every request.
export default {
  async fetch(request, env) {
    const reply = await env.SLOW.fetch("http://slow/hello");
    return new Response(`front got ${reply.status}: ${await reply.text()}`);
  },
};
