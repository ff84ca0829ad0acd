#!/usr/bin/env node
// Prints the cases of the language suite that answer differently on
// servers running tests/workers/language, as rows of the table in
// docs/engine-differences.md (the reason column kept from the document where
// the case is already listed, else left to fill in).
//
//   node tests/workers/language/diff.mjs WORKERD_URL KILN_URL [KILN_URL...]
//
// The first URL is the reference (workerd), the others kiln. A case differs
// when any kiln answer is not workerd's; kiln answers that disagree with one
// another are all shown. tests/e2e/language.rs asks two kilns: one that
// compiles the worker and one that reads it back from v8x's bytecode cache,
// as every start but the first does. To do the same by hand (all with
// TZ=UTC, as the test runs them):
//
//   cd tests/workers
//   export TZ=UTC XDG_CACHE_HOME=$(mktemp -d)
//   kiln dev -c language/wrangler.toml --port 8787 &  # compiles, fills the cache
//   # once it is ready:
//   kiln dev -c language/wrangler.toml --port 8789 &  # reads the cache
//
// and workerd, in tests/workers/language, with this as config.capnp (a file
// to delete afterwards):
//
//   using Workerd = import "/workerd/workerd.capnp";
//   const config :Workerd.Config = (
//     services = [(name = "main", worker = .w)],
//     sockets = [(name = "http", address = "127.0.0.1:8788", http = (), service = "main")],
//   );
//   const w :Workerd.Worker = (
//     modules = [(name = "worker.js", esModule = embed "worker.js"),
//                (name = "cases.js", esModule = embed "cases.js"),
//                (name = "hazards.js", esModule = embed "hazards.js")],
//     compatibilityDate = "2026-05-01",
//   );
//
//   TZ=UTC ../../reference/node_modules/@cloudflare/workerd-linux-64/bin/workerd serve config.capnp
//
// Options: --doc FILE (default docs/engine-differences.md), --width N
// (longest cell, default 160).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [, value] = args.splice(at, 2);
  return value;
};
const docPath = option(
  "--doc",
  fileURLToPath(new URL("../../../docs/engine-differences.md", import.meta.url)),
);
const width = Number(option("--width", "160"));
if (args.length < 2) {
  console.error("usage: diff.mjs [--doc FILE] [--width N] WORKERD_URL KILN_URL [KILN_URL...]");
  process.exit(2);
}

async function results(base) {
  const response = await fetch(new URL("/", base), { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${base}: ${response.status} ${await response.text()}`);
  return new Map((await response.json()).map((r) => [r.id, r]));
}

// The reasons the document already gives, by id.
function knownReasons() {
  const reasons = new Map();
  let text = "";
  try {
    text = readFileSync(docPath, "utf8");
  } catch {
    return reasons;
  }
  for (const line of text.split("\n")) {
    const id = line.match(/^\| `([^`]+)` \|/)?.[1];
    if (!id) continue;
    const cells = splitRow(line);
    reasons.set(id, cells[cells.length - 1] ?? "");
  }
  return reasons;
}

// A table row's cells, `\|` not being a separator.
function splitRow(line) {
  const cells = [];
  let cell = "";
  for (let i = 1; i < line.length; i++) {
    if (line[i] === "\\" && line[i + 1] === "|") {
      cell += "\\|";
      i++;
    } else if (line[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// One answer as text, invisible characters (narrow and no-break spaces,
// bidi marks) escaped.
function text(result) {
  if (!result) return "(missing)";
  let text;
  switch (result.type) {
    case "string":
      text = JSON.stringify(result.value);
      break;
    case "throw":
      text = `throws ${result.value.error}: ${result.value.message}`;
      break;
    case "error":
      text = `${result.value.error}: ${result.value.message}`;
      break;
    case "undefined":
    case "null":
      text = result.type;
      break;
    case "bigint":
      text = `${result.value}n`;
      break;
    default:
      text = String(result.value);
  }
  return text
    .replace(
      /[\u00a0\u200b-\u200f\u2028\u2029\u202a-\u202f\u2066-\u2069\u061c\ufeff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    )
    .replace(/\n/g, " ");
}

// A table cell: a code span of `text`, cut to `width` around `from` (where
// it starts to differ from the other side's) so that the difference shows.
function cell(text, from) {
  if (text.length > width) {
    const start = Math.max(0, Math.min(from - 40, text.length - width));
    const end = start + width;
    text = `${start > 0 ? "…" : ""}${text.slice(start, end)}${end < text.length ? "…" : ""}`;
  }
  // A code span needs a fence longer than any run of backticks inside it.
  const fence = "`".repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length)) + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`.replace(/\|/g, "\\|");
}

const firstDifference = (a, b) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

const [reference, ...kilns] = await Promise.all(args.map(results));
const reasons = knownReasons();
const ids = [...reference.keys()];
for (const kiln of kilns) ids.push(...[...kiln.keys()].filter((id) => !ids.includes(id)));
let differ = 0;
console.log("| case | workerd | kiln | reason |");
console.log("|---|---|---|---|");
for (const id of ids) {
  const exact = (result) => JSON.stringify(result && [result.type, result.value]);
  const answers = new Set(kilns.map((kiln) => exact(kiln.get(id))));
  if (reference.has(id) && answers.size === 1 && answers.has(exact(reference.get(id)))) continue;
  differ++;
  const theirs = text(reference.get(id));
  const ours = [...new Set(kilns.map((kiln) => text(kiln.get(id))))];
  const from = Math.min(...ours.map((t) => firstDifference(theirs, t)));
  const kilnCell = ours.map((t) => cell(t, from)).join(" / ");
  console.log(`| \`${id}\` | ${cell(theirs, from)} | ${kilnCell} | ${reasons.get(id) ?? ""} |`);
}
console.error(`${ids.length} cases, ${differ} differ`);
