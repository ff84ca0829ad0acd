// node:process (and, from nodejs_compat_v2 on, the global `process`): the
// parts of Node's process object that mean something in a worker, with the
// values Workers report. A worker has no operating-system process: it
// cannot exit, change directory or read the machine's environment;
// process.env holds the worker's string bindings (vars and secrets) when
// nodejs_compat_populate_process_env is on, and is empty otherwise.
import EventEmitter from "kiln:node-vendor/events";
import internals from "kiln:node-internals";

const started = performance.now();

function unsupported(name) {
  return function () {
    const error = new Error(`process.${name}() is not implemented in Workers`);
    error.code = "ERR_METHOD_NOT_IMPLEMENTED";
    throw error;
  };
}

function hrtime(previous) {
  const now = performance.now();
  let seconds = Math.floor(now / 1000);
  let nanoseconds = Math.floor((now % 1000) * 1e6);
  if (previous !== undefined) {
    seconds -= previous[0];
    nanoseconds -= previous[1];
    if (nanoseconds < 0) {
      seconds -= 1;
      nanoseconds += 1e9;
    }
  }
  return [seconds, nanoseconds];
}
hrtime.bigint = () => BigInt(Math.floor(performance.now() * 1e6));

// What writing to process.stdout or stderr does in a worker: a log line.
function stream(fd, log) {
  let pending = "";
  return {
    fd,
    isTTY: false,
    writable: true,
    write(chunk, encoding, callback) {
      if (typeof encoding === "function") callback = encoding;
      const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) log(line);
      if (typeof callback === "function") queueMicrotask(callback);
      return true;
    },
    end(chunk, encoding, callback) {
      if (chunk !== undefined && typeof chunk !== "function") this.write(chunk, encoding);
      if (pending !== "") {
        log(pending);
        pending = "";
      }
      const done = [chunk, encoding, callback].find((a) => typeof a === "function");
      if (done) queueMicrotask(done);
    },
    on() {
      return this;
    },
    once() {
      return this;
    },
  };
}

const process = new EventEmitter();

Object.assign(process, {
  title: "workerd",
  version: "v22.23.4",
  versions: { node: "22.23.4" },
  release: { name: "node" },
  platform: "linux",
  arch: "x64",
  pid: 1,
  ppid: 0,
  argv: ["workerd"],
  argv0: "workerd",
  execArgv: [],
  execPath: "",
  exitCode: undefined,
  env: { ...(internals.env ?? {}) },
  features: { inspector: false, ipv6: true, tls: true, typescript: false },
  config: { target_defaults: {}, variables: {} },
  allowedNodeEnvironmentFlags: new Set(),
  noDeprecation: false,
  throwDeprecation: false,
  traceDeprecation: false,
  stdin: undefined,
  stdout: stream(1, (line) => console.log(line)),
  stderr: stream(2, (line) => console.error(line)),
  nextTick(callback, ...args) {
    if (typeof callback !== "function") {
      const error = new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`);
      error.code = "ERR_INVALID_ARG_TYPE";
      throw error;
    }
    queueMicrotask(() => callback(...args));
  },
  cwd: () => "/bundle",
  chdir: unsupported("chdir"),
  umask: () => 0o22,
  uptime: () => (performance.now() - started) / 1000,
  hrtime,
  memoryUsage: Object.assign(
    () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
    { rss: () => 0 },
  ),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({}),
  emitWarning(warning, type) {
    const text = warning instanceof Error ? `${warning.name}: ${warning.message}` : `${type ?? "Warning"}: ${warning}`;
    console.warn(text);
  },
  exit: unsupported("exit"),
  abort: unsupported("abort"),
  kill: unsupported("kill"),
  dlopen: unsupported("dlopen"),
  getuid: () => 0,
  geteuid: () => 0,
  getgid: () => 0,
  getegid: () => 0,
  getgroups: () => [],
});

export default process;
export const {
  abort,
  allowedNodeEnvironmentFlags,
  arch,
  argv,
  argv0,
  chdir,
  config,
  cpuUsage,
  cwd,
  dlopen,
  emitWarning,
  env,
  execArgv,
  execPath,
  exit,
  features,
  getegid,
  geteuid,
  getgid,
  getgroups,
  getuid,
  kill,
  memoryUsage,
  nextTick,
  pid,
  platform,
  ppid,
  release,
  resourceUsage,
  stderr,
  stdin,
  stdout,
  title,
  umask,
  uptime,
  version,
  versions,
} = process;
export { hrtime };
