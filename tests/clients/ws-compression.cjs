// Node's `ws` client with permessage-deflate against a kiln echo worker
// (tests/e2e/compression.rs). Two connections: ws's default offer, and one
// with all four parameters. Each sends 200 messages (text and binary, 0 B to
// 64 KiB, compressible), checks every echo, and reports how many bytes came
// over the wire against how many it received: far fewer only if kiln
// compressed them. Prints one JSON report; exits 1 on a timeout or error.
const WebSocket = require("ws");

const url = process.argv[2];
const settings = [
  { threshold: 0 },
  {
    threshold: 0,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 12,
  },
];

function message(i) {
  const size = [0, 1, 100, 1000, 10000, 65536][i % 6];
  const text = `message ${i % 7} of the compression test; `.repeat(size / 40 + 1).slice(0, size);
  return i % 2 === 0 ? text : Buffer.from(text);
}

function run(perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate });
    let received = 0, mismatches = 0, payloadBytes = 0;
    ws.on("open", () => {
      for (let i = 0; i < 200; i++) ws.send(message(i));
    });
    ws.on("message", (data, isBinary) => {
      const sent = message(received);
      const same = isBinary === Buffer.isBuffer(sent) && Buffer.compare(Buffer.from(sent), data) === 0;
      if (!same) mismatches++;
      payloadBytes += data.length;
      if (++received === 200) ws.close(1000, "done");
    });
    ws.on("close", (code) => resolve({
      code,
      extensions: ws.extensions,
      received,
      mismatches,
      payloadBytes,
      wireBytes: ws._socket ? ws._socket.bytesRead : null,
    }));
    ws.on("error", reject);
  });
}

const timer = setTimeout(() => {
  console.error("no result within 50 s");
  process.exit(1);
}, 50000);

(async () => {
  const report = [];
  for (const s of settings) report.push(await run(s));
  clearTimeout(timer);
  console.log(JSON.stringify(report));
})().catch((e) => {
  console.error(String(e));
  process.exit(1);
});
