// The cron-trigger test worker (tests/e2e/cron.rs), ES module format.
//
// scheduled(controller, env, ctx) appends a description of what it sees to
// `seen`, which GET /seen answers as JSON. What the handler then does depends
// on controller.cron (the test chooses it with ?cron=): "throw", "reject",
// "throw-string", "waituntil-reject" and "noretry-throw" fail in these
// ways; "slow" finishes after 300 ms and "waituntil-slow" hands a 300 ms
// promise to ctx.waitUntil; every other cron finishes at once. A record's
// `finished` turns true when the handler (or its waitUntil promise) is done,
// so that a test can tell whether the trigger's answer waited for it.
//
// Every other request answers `fetch METHOD PATH?QUERY`.

let seen = [];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(controller, env, ctx, argc) {
  const proto = Object.getPrototypeOf(controller);
  let noRetry;
  try {
    noRetry = `returned ${typeof controller.noRetry()}`;
  } catch (e) {
    noRetry = `threw ${e && e.name}`;
  }
  return {
    cron: controller.cron,
    typeofCron: typeof controller.cron,
    scheduledTime: controller.scheduledTime,
    typeofScheduledTime: typeof controller.scheduledTime,
    integerScheduledTime: Number.isInteger(controller.scheduledTime),
    now: Date.now(),
    typeofType: typeof controller.type,
    hasType: "type" in controller,
    keys: Object.keys(controller),
    json: Object.keys(JSON.parse(JSON.stringify(controller))),
    // The order of a prototype's own names is the engine's; sorted.
    protoNames: Object.getOwnPropertyNames(proto).sort(),
    protoIsObjectPrototype: Object.getPrototypeOf(proto) === Object.prototype,
    constructor: controller.constructor && controller.constructor.name,
    string: String(controller),
    tag: Object.prototype.toString.call(controller),
    typeofNoRetry: typeof controller.noRetry,
    noRetry,
    typeofWaitUntil: typeof ctx.waitUntil,
    typeofPassThroughOnException: typeof ctx.passThroughOnException,
    greeting: env.GREETING,
    args: argc,
    finished: false,
  };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/seen") {
      return new Response(JSON.stringify(seen), {
        headers: { "content-type": "application/json" },
      });
    }
    return new Response(`fetch ${request.method} ${url.pathname}${url.search}`);
  },

  async scheduled(controller, env, ctx) {
    const record = describe(controller, env, ctx, arguments.length);
    seen.push(record);
    switch (controller.cron) {
      case "throw":
        throw new Error("boom from scheduled");
      case "reject":
        return Promise.reject(new Error("rejected from scheduled"));
      case "throw-string":
        throw "a string";
      case "waituntil-reject":
        ctx.waitUntil(Promise.reject(new Error("waitUntil rejected")));
        record.finished = true;
        return;
      case "noretry-throw":
        controller.noRetry();
        throw new Error("thrown after noRetry");
      case "slow":
        await sleep(300);
        record.finished = true;
        return;
      case "waituntil-slow":
        ctx.waitUntil(sleep(300).then(() => (record.finished = true)));
        return;
      case "return-value":
        record.finished = true;
        return 42;
    }
    record.finished = true;
  },
};
