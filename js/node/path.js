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

// path.matchesGlob, by minimatch's rules for POSIX paths as Node applies
// them: `*`, `?` and `[...]` within a segment, `**` for any number of
// segments, `{a,b}` alternatives, and a segment starting with a dot matched
// only by a pattern segment that starts with one.
export function matchesGlob(path, pattern) {
  if (typeof path !== "string") {
    const error = new TypeError(`The "path" argument must be of type string.${received(path)}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
  if (typeof pattern !== "string") {
    const error = new TypeError(`The "pattern" argument must be of type string.${received(pattern)}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
  const segments = path.split("/");
  return expandBraces(pattern).some((one) => {
    const parts = one.split("/").map(segmentMatcher);
    return parts.every((p) => p !== null) && matchSegments(segments, 0, parts, 0, new Map());
  });
}

function expandBraces(pattern) {
  const open = pattern.indexOf("{");
  if (open === -1) return [pattern];
  let depth = 0;
  const commas = [];
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === "{") depth++;
    else if (pattern[i] === "}" && --depth === 0) {
      if (commas.length === 0) return [pattern];
      const bounds = [open, ...commas, i];
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      const out = [];
      for (let k = 0; k + 1 < bounds.length; k++) {
        out.push(...expandBraces(head + pattern.slice(bounds[k] + 1, bounds[k + 1]) + tail));
      }
      return out;
    } else if (pattern[i] === "," && depth === 1) commas.push(i);
  }
  return [pattern];
}

// One pattern segment: "**", or a test of one path segment (null when the
// segment is not a valid pattern, which then matches nothing).
function segmentMatcher(part) {
  if (part === "**") return "**";
  let source = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      const end = part.indexOf("]", i + 2);
      if (end === -1) {
        source += "\\[";
      } else {
        const body = part.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        source += `[${body}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < part.length) {
      source += part[++i].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  let regex;
  try {
    regex = new RegExp(`^${source}$`);
  } catch {
    return null;
  }
  const dotAllowed = part.startsWith(".");
  return (segment) => (dotAllowed || !segment.startsWith(".") || segment === part) && regex.test(segment);
}

function matchSegments(segments, i, parts, j, memo) {
  const key = i * (parts.length + 1) + j;
  if (memo.has(key)) return memo.get(key);
  let result;
  if (j === parts.length) {
    result = i === segments.length;
  } else if (parts[j] === "**") {
    result = matchSegments(segments, i, parts, j + 1, memo) ||
      (i < segments.length && !segments[i].startsWith(".") && matchSegments(segments, i + 1, parts, j, memo));
  } else {
    result = i < segments.length && parts[j](segments[i]) && matchSegments(segments, i + 1, parts, j + 1, memo);
  }
  memo.set(key, result);
  return result;
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
