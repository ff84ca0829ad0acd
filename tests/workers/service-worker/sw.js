// A service-worker format worker: no exports, a fetch listener on the
// global scope, and its vars as globals.
addEventListener("fetch", (event) => {
  // A listener that throws fails its request, and only it.
  if (new URL(event.request.url).pathname === "/throw") throw new Error("listener threw");
  event.respondWith(handle(event.request));
});

async function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === "/no-respond") return undefined;
  if (url.pathname === "/target-throws") {
    // A throwing listener of an EventTarget is reported; dispatch goes on.
    const target = new EventTarget();
    const order = [];
    target.addEventListener("ping", () => {
      order.push("first");
      throw new Error("a listener threw");
    });
    target.addEventListener("ping", () => order.push("second"));
    target.dispatchEvent(new Event("ping"));
    return new Response(order.join(","));
  }
  return new Response(`service worker says ${GREETING} to ${url.pathname}`, {
    headers: { "x-format": "service-worker" },
  });
}
