// The cron-trigger test worker (tests/e2e/cron.rs), service-worker format:
// a "scheduled" listener on the global scope records what its event shows
// (GET /seen answers the records); ?cron=throw makes the listener throw,
// ?cron=waituntil-reject hands a rejecting promise to event.waitUntil,
// ?cron=waituntil-slow a 300 ms one. Every other request answers
// `fetch METHOD PATH?QUERY`.
//
// wrangler dev wraps service workers in a facade of its own, so the event is
// only described by what a native ScheduledEvent shares with it.

let seen = [];

addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.pathname === "/seen") {
    event.respondWith(
      new Response(JSON.stringify(seen), { headers: { "content-type": "application/json" } }),
    );
    return;
  }
  event.respondWith(new Response(`fetch ${event.request.method} ${url.pathname}${url.search}`));
});

addEventListener("scheduled", (event) => {
  const record = {
    cron: event.cron,
    typeofCron: typeof event.cron,
    scheduledTime: event.scheduledTime,
    typeofScheduledTime: typeof event.scheduledTime,
    now: Date.now(),
    type: event.type,
    isEvent: event instanceof Event,
    typeofWaitUntil: typeof event.waitUntil,
    typeofNoRetry: typeof event.noRetry,
    typeofRespondWith: typeof event.respondWith,
    greeting: typeof GREETING === "undefined" ? null : GREETING,
    finished: false,
  };
  seen.push(record);
  switch (event.cron) {
    case "throw":
      throw new Error("boom from a scheduled listener");
    case "waituntil-reject":
      event.waitUntil(Promise.reject(new Error("waitUntil rejected")));
      break;
    case "waituntil-slow":
      event.waitUntil(
        new Promise((resolve) => setTimeout(resolve, 300)).then(() => (record.finished = true)),
      );
      return;
  }
  record.finished = true;
});
