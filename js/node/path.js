// node:path: the npm package `path-browserify` (Node's POSIX path module),
// plus the two functions Workers' node:path has beyond it. Workers run
// nothing on Windows paths; `win32` is left out (null), as that package
// leaves it.
import vendor from "kiln:node-vendor/path";

export const { delimiter, sep, win32 } = vendor;

// Node's description of a value in an ERR_INVALID_ARG_TYPE message.
function received(value) {
  if (value === null || value === undefined) return ` Received ${value}`;
  if (typeof value === "function") return ` Received function ${value.name}`;
  if (typeof value === "object") {
    const name = value.constructor?.name;
    return name ? ` Received an instance of ${name}` : ` Received ${String(value)}`;
  }
  let shown = String(value).slice(0, 25);
  if (typeof value === "string") shown = `'${shown}'`;
  return ` Received type ${typeof value} (${shown})`;
}

function requireString(value, name) {
  if (typeof value !== "string") {
    const error = new TypeError(`The "${name}" argument must be of type string.${received(value)}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
}

// path-browserify's own checks throw a message of its own; Node's come
// first here.
export function join(...paths) {
  paths.forEach((p) => requireString(p, "path"));
  return vendor.join(...paths);
}
// A worker's current directory is `/`, as Workers resolve paths.
export function resolve(...paths) {
  paths.forEach((p, i) => requireString(p, `paths[${i}]`));
  return vendor.resolve("/", ...paths);
}
export function normalize(path) {
  requireString(path, "path");
  return vendor.normalize(path);
}
export function isAbsolute(path) {
  requireString(path, "path");
  return vendor.isAbsolute(path);
}
export function relative(from, to) {
  requireString(from, "from");
  requireString(to, "to");
  return vendor.relative(resolve(from), resolve(to));
}
export function dirname(path) {
  requireString(path, "path");
  return vendor.dirname(path);
}
export function basename(path, suffix) {
  requireString(path, "path");
  if (suffix !== undefined) requireString(suffix, "suffix");
  return vendor.basename(path, suffix);
}
export function extname(path) {
  requireString(path, "path");
  return vendor.extname(path);
}
export function parse(path) {
  requireString(path, "path");
  return vendor.parse(path);
}
export function format(pathObject) {
  if (pathObject === null || typeof pathObject !== "object") {
    const error = new TypeError(`The "pathObject" argument must be of type object.${received(pathObject)}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
  return vendor.format(pathObject);
}

export function toNamespacedPath(path) {
  return path;
}

// A glob of `*`, `**`, `?` and `[...]` classes, matched as Node's
// path.matchesGlob (minimatch's rules) does for POSIX paths.
export function matchesGlob(path, pattern) {
  if (typeof path !== "string" || typeof pattern !== "string") {
    const error = new TypeError('The "path" and "pattern" arguments must be of type string.');
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const slash = pattern[i + 2] === "/";
        source += slash ? "(?:[^/]*(?:/|$))*" : ".*";
        i += slash ? 2 : 1;
      } else {
        source += "[^/]*";
      }
    } else if (c === "?") {
      source += "[^/]";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) {
        source += "\\[";
      } else {
        const body = pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        source += `[${body}]`;
        i = end;
      }
    } else {
      source += c.replace(/[.+^${}()|\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`).test(path);
}

export const posix = {
  basename,
  delimiter,
  dirname,
  extname,
  format,
  isAbsolute,
  join,
  matchesGlob,
  normalize,
  parse,
  relative,
  resolve,
  sep,
  toNamespacedPath,
  win32,
};
posix.posix = posix;

export default posix;
