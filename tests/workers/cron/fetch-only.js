// A module worker with a fetch handler and no scheduled handler.
export default {
  fetch(request) {
    return new Response(`fetch ${request.method} ${new URL(request.url).pathname}`);
  },
};
