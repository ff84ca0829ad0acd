// examples/chat in a real browser, across Durable Object hibernation.
//
//   node tests/browser/chat.mjs http://127.0.0.1:PORT
//
// PORT is a running `kiln dev examples/chat`. Two Chromium pages, alice and
// bob, join a fresh room and talk; between messages the room is hibernated
// through kiln's `POST /cdn-cgi/kiln/hibernate`, while both pages keep their
// sockets; then alice reloads and must get the whole history back from
// storage. Prints one JSON line of what it saw and exits 0; on a failure it
// prints what it expected and what each page showed, with screenshots, and
// exits 1 (2 when Chromium or playwright-core is missing).
//
// Chromium is Debian's (`CHROMIUM` overrides /usr/bin/chromium), driven by
// playwright-core from tests/reference; both come from `make reference`.
// Nothing is ever downloaded.

import { existsSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";

// The whole run, browser start and shutdown included; a few seconds is usual.
const OVERALL_MS = 60_000;
// One step: a page loading, a message arriving, the hibernate request.
const STEP_MS = 10_000;
// A hibernate request may find the room still finishing the event whose
// broadcast the page has just shown; it is asked again until then.
const HIBERNATE_MS = 5_000;

const started = Date.now();
const base = process.argv[2]?.replace(/\/+$/, "");
if (!base || !/^https?:\/\/[^/]+$/.test(base)) {
  console.error("usage: node tests/browser/chat.mjs http://HOST:PORT  (a running kiln dev examples/chat)");
  process.exit(2);
}

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(
    `chat.mjs: no Chromium at ${executablePath}: run \`make reference\` (build/setup-browser installs Debian's chromium), or set CHROMIUM to a Chromium binary`,
  );
  process.exit(2);
}
let chromium;
try {
  const require = createRequire(new URL("../reference/package.json", import.meta.url));
  ({ chromium } = require("playwright-core"));
} catch (e) {
  const why = e.message.split("\n")[0];
  console.error(`chat.mjs: playwright-core is not installed in tests/reference (${why}): run \`make reference\``);
  process.exit(2);
}

const room = `browser-${Date.now().toString(36)}-${process.pid}`;
const M1 = "hello from alice";
const M2 = "hi from bob, after a hibernation";
let step = "starting Chromium";
let browser = null;
const pages = {};
// Uncaught exceptions and console errors of each page, for the report.
const problems = { alice: [], bob: [] };
const observed = { room, hibernations: [] };

class Failure extends Error {
  constructor(expected, detail) {
    super(expected);
    this.expected = expected;
    this.detail = detail;
  }
}

/** Settles within `ms` or rejects, so that no single call can hang the run. */
function within(ms, promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** What a page shows: its connection and one entry per `#messages li`. */
async function shown(who, limit = STEP_MS) {
  return within(
    limit,
    pages[who].evaluate(() => ({
      state: window.chat?.state ?? null,
      user: window.chat?.user ?? null,
      connects: window.chat?.connects ?? null,
      status: document.getElementById("status")?.textContent ?? null,
      items: [...document.querySelectorAll("#messages li")].map((li) => ({
        kind: li.dataset.kind ?? null,
        user: li.dataset.user ?? null,
        text: li.querySelector(".text")?.textContent ?? li.textContent,
      })),
    })),
    `reading ${who}'s page`,
  );
}

/** One line per entry, as the report prints them. */
function lines(view) {
  return view.items.map((i) => (i.kind === "message" ? `${i.user}: ${i.text}` : `[${i.kind}] ${i.text}`));
}

/**
 * Polls `who`'s page until `check(view)` returns true; a string it returns
 * is why not yet, kept for the report if the deadline passes.
 */
async function waitFor(who, expected, check) {
  const deadline = Date.now() + STEP_MS;
  let view = null;
  let why = null;
  for (;;) {
    view = await shown(who);
    const verdict = check(view);
    if (verdict === true) return view;
    why = typeof verdict === "string" ? verdict : null;
    if (Date.now() >= deadline) {
      const because = why ? ` (${why})` : "";
      throw new Failure(`${who}'s page to show ${expected} within ${STEP_MS} ms${because}`, { [who]: view });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const isMessage = (i, user, text) => i.kind === "message" && i.user === user && i.text === text;
const isEvent = (i, kind, user) => i.kind === kind && i.user === user;
const connectedOnce = (who) => (v) => {
  if (v.state !== "connected" || v.user !== who) return `state ${v.state}, user ${v.user}`;
  return v.connects === 1 || `it connected ${v.connects} times`;
};

async function join(who) {
  step = `${who} joins`;
  const page = pages[who];
  await page.goto(`${base}/room/${room}`, { timeout: STEP_MS });
  await page.fill("#name", who, { timeout: STEP_MS });
  await page.click("#join", { timeout: STEP_MS });
  return waitFor(who, `"${who}" connected and its own join`, (v) => {
    const ok = connectedOnce(who)(v);
    if (ok !== true) return ok;
    return v.items.some((i) => isEvent(i, "join", who)) || "no join entry yet";
  });
}

async function say(who, text) {
  step = `${who} sends ${JSON.stringify(text)}`;
  await pages[who].fill("#input", text, { timeout: STEP_MS });
  await pages[who].click("#send", { timeout: STEP_MS });
}

async function sees(who, author, text) {
  return waitFor(who, `the message ${JSON.stringify(text)} from ${author}`, (v) =>
    v.items.some((i) => isMessage(i, author, text)),
  );
}

/** Asks kiln to hibernate the room; it must, with both sockets kept. */
async function hibernate(when) {
  step = `hibernating the room (${when})`;
  const url = `${base}/cdn-cgi/kiln/hibernate?class=ChatRoom&name=${encodeURIComponent(room)}`;
  const expected = `POST ${url} to answer 200 JSON listing ChatRoom "${room}" with hibernated: true and webSockets: 2`;
  const deadline = Date.now() + HIBERNATE_MS;
  for (;;) {
    let status;
    let body;
    try {
      const reply = await fetch(url, { method: "POST", signal: AbortSignal.timeout(STEP_MS) });
      status = reply.status;
      body = await within(STEP_MS, reply.text(), "the hibernate answer's body");
    } catch (e) {
      throw new Failure(expected, { request: `failed: ${e.message}` });
    }
    let answer;
    try {
      answer = JSON.parse(body);
    } catch {
      answer = undefined;
    }
    const got = { status, body: body.length > 2000 ? `${body.slice(0, 2000)}…` : body };
    if (status !== 200 || !Array.isArray(answer?.objects)) throw new Failure(expected, { answer: got });
    const entries = answer.objects.filter((o) => o.class === "ChatRoom" && o.name === room);
    if (entries.length !== 1) throw new Failure(`${expected} (exactly once)`, { answer: got });
    const [entry] = entries;
    if (entry.hibernated === true) {
      if (entry.webSockets !== 2 || !/^[0-9a-f]{64}$/.test(entry.id)) {
        throw new Failure(`${expected}, and its 64-hex id`, { answer: got });
      }
      observed.hibernations.push(entry);
      return entry;
    }
    if (Date.now() >= deadline) throw new Failure(`${expected} within ${HIBERNATE_MS} ms`, { answer: got });
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run() {
  browser = await within(
    STEP_MS,
    chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: STEP_MS }),
    `launching ${executablePath}`,
  );
  for (const who of ["alice", "bob"]) {
    // A context each: their own localStorage, where the page keeps the name.
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    page.on("pageerror", (e) => problems[who].push(`uncaught: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems[who].push(`console: ${m.text()}`));
    pages[who] = page;
  }

  // A fresh room: nothing before the joins.
  const first = await join("alice");
  if (first.items.length !== 1) throw new Failure("a new room to start empty but for alice's join", { alice: first });
  await join("bob");
  step = "alice sees bob join";
  await waitFor("alice", "bob's join", (v) => v.items.some((i) => isEvent(i, "join", "bob")));

  await say("alice", M1);
  await sees("bob", "alice", M1);
  await sees("alice", "alice", M1);

  await hibernate("after alice's message");
  // The sockets must have stayed open: the pages never reconnected.
  step = "both pages still connected after the hibernation";
  await waitFor("alice", "still its first connection", connectedOnce("alice"));
  await waitFor("bob", "still its first connection", connectedOnce("bob"));

  // This message wakes the room: its constructor runs again and only
  // storage, tags and attachments tell it who is there.
  await say("bob", M2);
  await sees("alice", "bob", M2);
  await sees("bob", "bob", M2);

  await hibernate("after bob's message");

  step = "alice reloads her page";
  const bobBefore = (await shown("bob")).items.length;
  await within(STEP_MS, pages.alice.reload({ timeout: STEP_MS }), "reloading alice's page");
  const alice = await waitFor("alice", `the history ["alice: ${M1}", "bob: ${M2}"] then her own join`, (v) => {
    const ok = connectedOnce("alice")(v);
    if (ok !== true) return ok;
    if (!isMessage(v.items[0] ?? {}, "alice", M1) || !isMessage(v.items[1] ?? {}, "bob", M2)) {
      return "the history is not the first two entries";
    }
    if (v.items.filter((i) => i.kind === "message").length !== 2) return "more messages than the two sent";
    return v.items.slice(2).some((i) => isEvent(i, "join", "alice")) || "no join of hers after the history";
  });
  step = "bob sees alice leave and come back";
  const bob = await waitFor("bob", "alice's leave and her join after the reload", (v) => {
    const since = v.items.slice(bobBefore);
    const left = since.some((i) => isEvent(i, "leave", "alice"));
    const back = since.some((i) => isEvent(i, "join", "alice"));
    return (left && back) || `leave seen: ${left}, join seen: ${back}`;
  });
  // Two hibernations and a reload later, bob is still on his first socket.
  const bobNow = connectedOnce("bob")(bob);
  if (bobNow !== true) throw new Failure("bob's page on its first connection", { bob });

  step = "checking the pages for errors";
  for (const who of ["alice", "bob"]) {
    if (problems[who].length) throw new Failure(`no errors on ${who}'s page`, { [who]: problems[who] });
  }
  observed.alice = lines(alice);
  observed.bob = lines(bob);
  observed.ms = Date.now() - started;
}

let finished = false;

async function fail(error) {
  if (finished) return;
  finished = true;
  // However the shutdown goes, the process ends.
  setTimeout(() => process.exit(1), 15_000).unref();
  // What went wrong is printed first: reading a page that is stuck can take
  // until its own deadline.
  const report = [`chat.mjs: FAILED while ${step} (room ${room} on ${base})`];
  report.push(`  expected: ${error instanceof Failure ? error.expected : `${step} to succeed`}`);
  // Playwright colours its call logs even into a pipe.
  if (!(error instanceof Failure)) report.push(`  error: ${String(error?.stack ?? error).replace(/\x1b\[[0-9;]*m/g, "")}`);
  for (const [key, value] of Object.entries(error?.detail ?? {})) {
    const text = JSON.stringify(value?.items ? { ...value, items: lines(value) } : value, null, 2);
    report.push(`  ${key}: ${text.replace(/\n/g, "\n  ")}`);
  }
  console.error(report.join("\n"));
  const shots = [];
  if (Object.keys(pages).length) {
    const dir = mkdtempSync(joinPath(tmpdir(), "kiln-chat-"));
    for (const [who, page] of Object.entries(pages)) {
      if (problems[who].length) console.error(`  ${who}'s page errors: ${JSON.stringify(problems[who])}`);
      try {
        if (!error?.detail?.[who]) {
          const view = await shown(who, 3_000);
          console.error(`  ${who}'s page showed (${view.state}, ${view.status}): ${JSON.stringify(lines(view))}`);
        }
      } catch (e) {
        console.error(`  (${who}'s page could not be read: ${e.message.split("\n")[0]})`);
      }
      try {
        const path = joinPath(dir, `${who}.png`);
        await within(3_000, page.screenshot({ path, timeout: 3_000 }), `screenshot of ${who}'s page`);
        shots.push(path);
      } catch (e) {
        console.error(`  (no screenshot of ${who}'s page: ${e.message.split("\n")[0]})`);
      }
    }
  }
  if (shots.length) console.error(`  screenshots: ${shots.join(" ")}`);
  await within(3_000, browser?.close() ?? Promise.resolve(), "closing Chromium").catch(() => {});
  process.exit(1);
}

const overall = setTimeout(() => fail(new Failure(`the whole run to finish within ${OVERALL_MS} ms`)), OVERALL_MS);
try {
  await run();
} catch (error) {
  await fail(error);
}
if (!finished) {
  finished = true;
  clearTimeout(overall);
  await within(5_000, browser.close(), "closing Chromium").catch(() => {});
  console.log(JSON.stringify({ ok: true, ...observed }));
  process.exit(0);
}
