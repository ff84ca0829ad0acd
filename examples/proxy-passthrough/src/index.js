// A WebSocket proxy with no JavaScript per message: the backend's 101
// Response is returned as it is, and kiln couples the client's connection to
// the backend's in Rust. Closes (code and reason) pass through both ways.

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.BACKEND_URL + url.pathname + url.search, {
      headers: request.headers,
    });
  },
};
