//! The kiln binary runs wherever it is copied: every JavaScript source it
//! needs is inside it (runtime/worker/build.rs, src/embed.rs), nothing is
//! read from the cargo registry or the checkout.
//!
//! The test copies the built binary into an empty folder and runs a worker
//! there in a mount namespace of its own (`unshare -m`) in which an empty
//! tmpfs covers the cargo registry and the checkout, so any file read from
//! them fails. The worker answers HTTP with `crypto.subtle` and
//! `CompressionStream`, and echoes WebSocket messages.

use std::path::PathBuf;
use std::process::Command;

use kiln_tests::workerd::TempDir;
use kiln_tests::ws::{WsClient, TEXT};
use kiln_tests::{crash_lines, kiln_bin, repo_dir, send, Kiln};

const WORKER: &str = r#"
export default {
  async fetch(request) {
    if (request.headers.get("upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (event) => server.send(`echo ${event.data}`));
      return new Response(null, { status: 101, webSocket: client });
    }
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("kiln"));
    const gzipped = new Response(new Response("hello ".repeat(100)).body.pipeThrough(new CompressionStream("gzip")));
    const bytes = new Uint8Array(await gzipped.arrayBuffer());
    const back = await new Response(new Response(bytes).body.pipeThrough(new DecompressionStream("gzip"))).text();
    return Response.json({
      digest: [...new Uint8Array(digest).slice(0, 4)],
      gzipMagic: [bytes[0], bytes[1]],
      roundTrip: back === "hello ".repeat(100),
      url: new URL("/a/../b?c=1", request.url).pathname,
    });
  },
};
"#;

fn cargo_registry() -> PathBuf {
  let home = std::env::var_os("CARGO_HOME")
    .map(PathBuf::from)
    .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
  home.join("registry")
}

#[tokio::test]
async fn a_copied_binary_runs_without_the_registry_or_the_checkout() {
  let dir = TempDir::new("kiln-relocated");
  let binary = dir.path().join("kiln");
  std::fs::copy(kiln_bin(), &binary).expect("copy the kiln binary");
  std::fs::write(dir.path().join("worker.js"), WORKER).expect("write the worker");
  let registry = cargo_registry();
  let checkout = repo_dir();
  assert!(
    registry.is_dir(),
    "no cargo registry at {}",
    registry.display()
  );

  // The mounts exist only in the child's namespace; `exec` makes kiln the
  // process the test holds (and kills).
  let script = format!(
    "mount -t tmpfs none '{}' && mount -t tmpfs none '{}' && exec ./kiln dev worker.js --port 0",
    registry.display(),
    checkout.display()
  );
  let probe = Command::new("unshare")
    .args(["-m", "--propagation", "private", "true"])
    .status();
  assert!(
    probe.is_ok_and(|s| s.success()),
    "this test needs `unshare -m` (util-linux, as root or with user namespaces) to hide the registry and the checkout"
  );
  let mut command = Command::new("unshare");
  command
    .args(["-m", "--propagation", "private", "sh", "-c", &script])
    .current_dir(dir.path())
    .env("RUST_BACKTRACE", "0");
  let kiln = Kiln::spawn(command, 1);

  let reply = send(kiln.addr, "GET", "/x", &[], Default::default()).await;
  assert_eq!(reply.status, 200, "{}\n{}", reply.text(), kiln.output());
  assert_eq!(
    reply.json(),
    serde_json::json!({
      "digest": [0xcd, 0xfe, 0x9a, 0xd5],
      "gzipMagic": [0x1f, 0x8b],
      "roundTrip": true,
      "url": "/b",
    }),
    "{}",
    kiln.output()
  );

  let mut client = WsClient::connect(kiln.addr, "/ws").await;
  client.send_text("hi").await;
  let frame = client.read_frame().await.expect("an echo");
  assert_eq!(
    (frame.opcode, frame.payload.as_slice()),
    (TEXT, &b"echo hi"[..])
  );

  let output = kiln.output();
  assert!(
    !output.contains("not embedded"),
    "kiln read JavaScript from disk:\n{output}"
  );
  assert!(crash_lines(&output).is_empty(), "{output}");
  kiln.assert_alive();
}
