// node:url: the WHATWG URL classes Workers have as globals, the legacy
// url.parse/format/resolve from the npm package `url`, domain names through
// the npm package `punycode`, and the file-URL helpers, written here for
// POSIX paths.
import vendor from "kiln:node-vendor/url";
import punycode from "kiln:node-vendor/punycode";
import { resolve as resolvePath } from "node:path";

export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
export const { Url, format, parse, resolve, resolveObject } = vendor;

function invalidArg(name, expected, value) {
  const error = new TypeError(
    `The "${name}" argument must be ${expected}. Received ${value === null ? "null" : typeof value}`,
  );
  error.code = "ERR_INVALID_ARG_TYPE";
  return error;
}

export function domainToASCII(domain) {
  try {
    return new URL(`ws://${domain}`).hostname;
  } catch {
    return "";
  }
}

export function domainToUnicode(domain) {
  const ascii = domainToASCII(domain);
  return ascii === "" ? "" : punycode.toUnicode(ascii);
}

export function fileURLToPath(path) {
  const url = typeof path === "string" ? new URL(path) : path;
  if (!(url instanceof URL)) throw invalidArg("path", "of type string or an instance of URL", path);
  if (url.protocol !== "file:") {
    // An Error, not a TypeError as in Node: what Workers throw.
    const error = new Error("The URL must be of scheme file");
    error.code = "ERR_INVALID_URL_SCHEME";
    throw error;
  }
  if (url.hostname !== "") {
    const error = new TypeError('File URL host must be "localhost" or empty on linux');
    error.code = "ERR_INVALID_FILE_URL_HOST";
    throw error;
  }
  const pathname = url.pathname;
  if (/%2f/i.test(pathname)) {
    const error = new TypeError("File URL path must not include encoded / characters");
    error.code = "ERR_INVALID_FILE_URL_PATH";
    throw error;
  }
  return decodeURIComponent(pathname);
}

export function pathToFileURL(filepath) {
  if (typeof filepath !== "string") throw invalidArg("path", "of type string", filepath);
  // As Node: the path resolved (against `/`, a worker's current directory),
  // its trailing slash kept.
  let absolute = resolvePath(filepath);
  if (filepath.endsWith("/") && !absolute.endsWith("/")) absolute += "/";
  const url = new URL("file://");
  // Characters the URL parser would take as syntax are percent-encoded
  // first, as Node does.
  absolute = absolute
    .replace(/%/g, "%25")
    .replace(/\\/g, "%5C")
    .replace(/\n/g, "%0A")
    .replace(/\r/g, "%0D")
    .replace(/\t/g, "%09")
    .replace(/#/g, "%23")
    .replace(/\?/g, "%3F");
  url.pathname = absolute;
  return url;
}

export function toPathIfFileURL(fileURLOrPath) {
  return fileURLOrPath instanceof URL ? fileURLToPath(fileURLOrPath) : fileURLOrPath;
}

export function urlToHttpOptions(url) {
  const options = {
    protocol: url.protocol,
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ""}${url.search || ""}`,
    href: url.href,
  };
  if (url.port !== "") options.port = Number(url.port);
  if (url.username || url.password) {
    options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  }
  return options;
}

export default {
  URL,
  URLSearchParams,
  Url,
  domainToASCII,
  domainToUnicode,
  fileURLToPath,
  format,
  parse,
  pathToFileURL,
  resolve,
  resolveObject,
  toPathIfFileURL,
  urlToHttpOptions,
};
