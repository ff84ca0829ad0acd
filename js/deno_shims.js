// Stand-ins for two pieces of Deno's runtime that deno_fetch reaches for but
// a worker never uses: TLS client certificates for `Deno.createHttpClient`
// (registered as "ext:deno_net/02_tls.js") and OpenTelemetry tracing.

(function () {
const { internals } = __bootstrap;

function loadTlsKeyPair() {
  throw new TypeError("Custom TLS client certificates are not supported in kiln.");
}

const noop = () => {};
internals.__telemetry ??= {
  TRACING_ENABLED: false,
  PROPAGATORS: [],
  builtinTracer: noop,
  ContextManager: { active: noop },
  DID_NOT_ENTER: {},
  enterSpan: noop,
  exitSpan: noop,
};
internals.__telemetryUtil ??= {
  updateSpanFromClientResponse: noop,
  updateSpanFromError: noop,
  updateSpanFromRequest: noop,
};

return { loadTlsKeyPair };
})();
