// CommonJS as packages still write it; hono-app's /commonjs route reports
// what each part gave.
"use strict";
const a = require("./lib/a");
const data = require("./lib/data.json");
const esm = require("./lib/esm.mjs");
const serverOnly = require("./lib/server-only.js");
const transpiled = require("./lib/transpiled");
// The browser field maps the built-in away, as esbuild does for Workers.
const crypto = require("crypto");

exports.cycle = a.describe();
exports.data = data.answer;
exports.esm = { named: esm.named, defaultExport: esm.default, esModule: esm.__esModule === true };
exports.serverOnly = typeof serverOnly === "object" && Object.keys(serverOnly).length === 0;
exports.interop = transpiled.default;
exports.cryptoMappedAway = Object.keys(crypto).length === 0;
// As in wrangler's bundle: top-level `this` is exports, no __filename.
exports.thisIsExports = this === module.exports;
exports.filename = typeof __filename;
// wrangler dev's esbuild defines this; kiln does the same.
exports.mode = process.env.NODE_ENV;
exports.dynamic = (name) => require(name);
