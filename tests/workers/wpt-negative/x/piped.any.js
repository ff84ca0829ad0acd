// META: script=/resources/port.js?pipe=sub
// A META script asked for with ?pipe=sub is substituted.
test(() => assert_true(/^[0-9]+$/.test(String(WS_PORT)), String(WS_PORT)), "the port was substituted");
