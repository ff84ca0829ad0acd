//! R2, end to end, on wrangler dev (the reference) and on kiln.
//!
//! One worker, tests/workers/r2/ (worker.js + wrangler.toml; worker
//! "r2-worker" with one `[[r2_buckets]]` binding "BUCKET", bucket_name
//! "test-bucket"), runs named scenarios: `GET /scenario/<name>` answers the
//! scenario's report as JSON (values in a tagged form, errors as {name,
//! message}). Every test runs its scenarios on every runtime, asserts the
//! concrete values written below (what wrangler 4.86.0 / Miniflare
//! 4.20260426.0 with workerd 1.20260426.1 does; the notes at each test say
//! where that differs from Cloudflare's R2), and that kiln's answers equal
//! wrangler's.
//!
//! What is random or depends on the clock is masked by the worker: an
//! object's `version` reads "<version>", an `uploaded` Date within ten
//! minutes of now {"Date": "<now>"}, a multipart `uploadId` "<uploadId>".
//! The etag of an uploaded part is never reported, only its form.
//!
//! How the runtimes are started (each test has its own processes and state):
//! - wrangler: `tests/support/wrangler.rs` runs `wrangler dev --local
//!   --persist-to <state>` on a copy of the worker's folder; R2 data lives
//!   in `<state>/v3/r2/` (bodies in `test-bucket/blobs/`, metadata in
//!   `miniflare-R2BucketObject/*.sqlite`).
//! - kiln: `kiln dev -c r2/wrangler.toml --persist-to <state>` from
//!   tests/workers.
//!
//! Running:
//!   cargo test --offline -p kiln-tests --no-default-features \
//!     --features quickjs --test r2
//! runs every scenario on both runtimes and compares them (kiln must be
//! built: `make build`, or KILN_BIN). With `KILN_R2_REFERENCE_ONLY=1` only
//! wrangler runs: that checks the expectations themselves against the
//! reference. wrangler comes from `make reference` (tests/reference).

// The scenarios' expectations are large json! literals.
#![recursion_limit = "512"]

use std::process::Command;
use std::time::Duration;

use kiln_tests::json::{assert_json, error, ok, undef};
use kiln_tests::side::{self, check, last_lines, Side, Target};
use kiln_tests::workerd::TempDir;
use kiln_tests::wrangler::{self, Wrangler};
use kiln_tests::{kiln_bin, run_with_deadline, try_send_within, workers_dir, Kiln};
use serde_json::{json, Value};

/// How long one scenario may take (a few upload 5 MiB parts, one writes
/// 1001 objects).
const SCENARIO_DEADLINE: Duration = Duration::from_secs(60);

const MIB: u64 = 1024 * 1024;

const NOT_A_VALUE: &str = "Failed to execute 'put' on 'R2Bucket': parameter 2 is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob'.";
const UNKNOWN_LENGTH: &str = "Provided readable stream must have a known length (request/response body or readable half of FixedLengthStream)";
const USED: &str =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";
const NOT_SATISFIABLE: &str = "get: The requested range is not satisfiable (10039)";
const MULTIPLE_HASHES: &str = "You cannot specify multiple hashing algorithms.";
const METADATA_TOO_LARGE: &str =
  "put: Your metadata headers exceed the maximum allowed metadata size. (10012)";

/// The error R2 reports for a name over 1024 bytes, from `op`.
fn invalid_name(op: &str) -> Value {
  error(
    "Error",
    &format!("{op}: The specified object name is not valid. (10020)"),
  )
}

fn no_such_upload(op: &str) -> Value {
  error(
    "Error",
    &format!("{op}: The specified multipart upload does not exist. (10024)"),
  )
}

fn internal_error(op: &str) -> Value {
  error(
    "Error",
    &format!("{op}: We encountered an internal error. Please try again. (10001)"),
  )
}

const INVALID_PART: &str =
  "completeMultipartUpload: One or more of the specified parts could not be found. (10025)";
const TOO_SMALL: &str = "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)";
const BAD_UPLOAD: &str =
  "completeMultipartUpload: There was a problem with the multipart upload. (10048)";

fn part_number(n: i64) -> Value {
  error(
    "TypeError",
    &format!("Part number must be between 1 and 10000 (inclusive). Actual value was: {n}"),
  )
}

/// The message of a checksum that does not match (R2's BadDigest, 10037).
fn bad_digest(algorithm: &str, provided: &str, actual: &str) -> Value {
  error(
    "Error",
    &format!(
      "put: The {algorithm} checksum you specified did not match what we received.\nYou provided a {algorithm} checksum with value: {provided}\nActual {algorithm} was: {actual} (10037)"
    ),
  )
}

// The checksums of "checksum me" (the worker's SUM_TEXT).
const MD5: &str = "f11c72a98bf0b6e31f0b0af786a43ba7";
const SHA1: &str = "00337cfb20489c72b736b268fdba32c027bdd62b";
const SHA256: &str = "820eb62b7660a216f711bd0df37ac8a176b662a159959870edc200b857262daf";
const SHA384: &str = "445fa0589ef76020078d8bef714a8fb8165078700eea84be16625a614fed4bb7f1d5a38e0e94524f7c6f64ed58a4aa35";
const SHA512: &str = "31b8effa4df268c6bc579e4374b4336d45ef178178ac093c0081754aa0b8d84153b5c67bfb3a88546d9ec91ba7d29f676fbb9cd8a2f8ed2a9027470a89e41a55";
/// MD5 of nothing.
const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";
/// MD5 of "hello".
const HELLO_MD5: &str = "5d41402abc4b2a76b9719d911017c592";

/// The worker's `wrongHex`: the first hex digit replaced ("0", or "f" when
/// it was "0").
fn wrong(hex: &str) -> String {
  let first = if hex.starts_with('0') { "f" } else { "0" };
  format!("{first}{}", &hex[1..])
}

fn hex_bytes(hex: &str) -> Vec<u8> {
  (0..hex.len())
    .step_by(2)
    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
    .collect()
}

// ---------------------------------------------------------------------------
// The runtimes.

const REFERENCE_ONLY: &str = "KILN_R2_REFERENCE_ONLY";

fn reference_only() -> bool {
  side::reference_only(REFERENCE_ONLY)
}

/// wrangler, then kiln unless KILN_R2_REFERENCE_ONLY is set; each request
/// may take SCENARIO_DEADLINE.
fn sides() -> Vec<Side> {
  side::sides(REFERENCE_ONLY, &Target::workers("r2/wrangler.toml"), "r2")
    .into_iter()
    .map(|side| side.with_deadline(SCENARIO_DEADLINE))
    .collect()
}

/// An error reported by its name only (its message is the engine's).
fn error_named(name: &str) -> Value {
  json!({ "error": { "name": name } })
}

/// A plain object, as the worker's `enc` tags it.
fn obj(v: Value) -> Value {
  json!({ "Object": v })
}

fn array_buffer(bytes: &[u8]) -> Value {
  json!({ "ArrayBuffer": bytes })
}

/// A recent `uploaded` Date, as the worker masks it.
fn now() -> Value {
  json!({ "Date": "<now>" })
}

fn date(iso: &str) -> Value {
  json!({ "Date": iso })
}

/// The `range` of an R2Object (a JSG struct: `suffix` is there, undefined).
fn range(offset: u64, length: u64) -> Value {
  obj(json!({ "offset": offset, "length": length, "suffix": undef() }))
}

/// An R2Object's `httpMetadata`: all six fields, undefined unless given.
fn http(fields: Value) -> Value {
  let mut all = serde_json::Map::new();
  for k in [
    "contentType",
    "contentLanguage",
    "contentDisposition",
    "contentEncoding",
    "cacheControl",
    "cacheExpiry",
  ] {
    all.insert(k.into(), undef());
  }
  for (k, v) in fields.as_object().expect("an object of fields") {
    assert!(all.contains_key(k), "no httpMetadata field {k}");
    all.insert(k.clone(), v.clone());
  }
  obj(Value::Object(all))
}

/// What `checksums.toJSON()` answers: all five, undefined unless given.
fn sums(fields: Value) -> Value {
  let mut all = serde_json::Map::new();
  for k in ["md5", "sha1", "sha256", "sha384", "sha512"] {
    all.insert(k.into(), undef());
  }
  for (k, v) in fields.as_object().expect("an object of checksums") {
    assert!(all.contains_key(k), "no checksum {k}");
    all.insert(k.clone(), v.clone());
  }
  obj(Value::Object(all))
}

/// An R2Object (class HeadResult, or GetResult for a get() with a body)
/// as `enc` reports it: a single-part object whose etag is the MD5 of its
/// body, `checksums.md5` that MD5 as an ArrayBuffer.
fn r2_object(
  class: &str,
  key: &str,
  size: u64,
  md5: &str,
  range: Value,
  http: Value,
  custom: Value,
) -> Value {
  json!({
    format!("instance of {class}"): {
      "ssecKeyMd5": undef(),
      "storageClass": "",
      "range": range,
      "customMetadata": custom,
      "httpMetadata": http,
      "uploaded": now(),
      "checksums": { "instance of Checksums": {
        "sha512": undef(),
        "sha384": undef(),
        "sha256": undef(),
        "sha1": undef(),
        "md5": array_buffer(&hex_bytes(md5)),
      } },
      "httpEtag": format!("\"{md5}\""),
      "etag": md5,
      "size": size,
      "version": "<version>",
      "key": key,
    }
  })
}

/// The worker's `brief` of an R2Object: class, key, size, etag, whether
/// it has a body, its range, and (`briefText`) its body's text.
fn brief(class: &str, key: &str, size: u64, etag: &str, range: Value, text: Option<&str>) -> Value {
  let mut b = json!({
    "class": class,
    "key": key,
    "size": size,
    "etag": etag,
    "hasBody": class == "GetResult",
    "range": range,
  });
  if let Some(text) = text {
    b["text"] = json!(text);
  }
  obj(b)
}

/// The worker's summary of a list() result.
fn keys(keys: &[&str], cursor: Option<&str>, prefixes: &[&str]) -> Value {
  obj(json!({
    "keys": keys,
    "truncated": cursor.is_some(),
    "cursor": cursor.map_or_else(undef, |c| json!(c)),
    "delimitedPrefixes": prefixes,
  }))
}

/// The worker's `short`: a string over 40 characters as "<first> x <length>".
fn short(first: char, len: usize) -> String {
  format!("{first} x {len}")
}

const OWN_KEYS: [&str; 12] = [
  "ssecKeyMd5",
  "storageClass",
  "range",
  "customMetadata",
  "httpMetadata",
  "uploaded",
  "checksums",
  "httpEtag",
  "etag",
  "size",
  "version",
  "key",
];

// ---------------------------------------------------------------------------
// The binding and the objects.

#[tokio::test]
async fn the_binding_is_an_r2_bucket() {
  let sides = sides();
  check(
    &sides,
    "binding",
    &json!({
      "string": "[object R2Bucket]",
      "tag": "[object R2Bucket]",
      "typeof": "object",
      "constructor": "R2Bucket",
      "ownKeys": [],
      "methods": [
        "constructor", "createMultipartUpload", "delete", "get", "head", "list", "put",
        "resumeMultipartUpload",
      ],
      "typeofs": vec!["function"; 7],
      "protoParent": true,
      "envKeys": ["BUCKET"],
      "same": true,
    }),
  )
  .await;
}

/// put() and head() answer an R2Object (class HeadResult), get() an
/// R2ObjectBody (class GetResult, extending HeadResult). Their properties
/// are own, enumerable, read-only data properties, listed by Object.keys
/// in reverse order of declaration (ssecKeyMd5 first, key last); range,
/// httpMetadata and customMetadata are plain objects, the six
/// httpMetadata fields and range's `suffix` present even when undefined.
/// put()'s object has no range; head()'s and get()'s cover the whole
/// object. Miniflare stores no storage class: storageClass is "".
#[tokio::test]
async fn r2_object_shape() {
  let sides = sides();
  let http_plain = http(json!({ "contentType": "text/plain" }));
  let custom = obj(json!({ "x": "1" }));
  let json_form = |range: Option<Value>| {
    let mut o = json!({
      "storageClass": "",
      "customMetadata": { "x": "1" },
      "httpMetadata": { "contentType": "text/plain" },
      "uploaded": "<now>",
      "checksums": { "md5": HELLO_MD5 },
      "httpEtag": format!("\"{HELLO_MD5}\""),
      "etag": HELLO_MD5,
      "size": 5,
      "version": "<version>",
      "key": "shape",
    });
    if let Some(range) = range {
      o["range"] = range;
    }
    o
  };
  let head_chain = json!(["HeadResult", ["constructor", "writeHttpMetadata"]]);
  check(
    &sides,
    "object-shape",
    &json!({
      "put": r2_object("HeadResult", "shape", 5, HELLO_MD5, undef(), http_plain.clone(), custom.clone()),
      "putKeys": OWN_KEYS,
      "putChain": [head_chain],
      "putTag": "[object HeadResult]",
      "keyDescriptor": obj(json!({ "value": "shape", "writable": false, "enumerable": true, "configurable": true })),
      "assignKey": error_named("TypeError"),
      "head": r2_object("HeadResult", "shape", 5, HELLO_MD5, range(0, 5), http_plain.clone(), custom.clone()),
      "headKeys": OWN_KEYS,
      "headChain": [head_chain],
      "get": r2_object("GetResult", "shape", 5, HELLO_MD5, range(0, 5), http_plain, custom),
      "getKeys": OWN_KEYS,
      "getChain": [
        ["GetResult", ["arrayBuffer", "blob", "body", "bodyUsed", "bytes", "constructor", "json", "text"]],
        head_chain,
      ],
      "bodyInGet": true,
      "rangeKeys": ["offset", "length", "suffix"],
      "httpMetadataKeys": [
        "contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl",
        "cacheExpiry",
      ],
      "customMetadataProto": true,
      "checksumsChain": [["Checksums", ["constructor", "toJSON"]]],
      "checksumsKeys": ["sha512", "sha384", "sha256", "sha1", "md5"],
      "checksumsJSON": sums(json!({ "md5": HELLO_MD5 })),
      "checksumsStringify": format!("{{\"md5\":\"{HELLO_MD5}\"}}"),
      "sameChecksums": true,
      "sameMd5": true,
      "sameUploaded": true,
      "putJson": json_form(None),
      "headJson": json_form(Some(json!({ "offset": 0, "length": 5 }))),
      "getJson": json_form(Some(json!({ "offset": 0, "length": 5 }))),
      "headJsonKeys": [
        "storageClass", "range", "customMetadata", "httpMetadata", "uploaded", "checksums",
        "httpEtag", "etag", "size", "version", "key",
      ],
      "uploadedIsDate": true,
      "uploadedMatches": true,
      "versionMatches": true,
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// put().

/// Strings (as UTF-8), ArrayBuffers, views, Blobs and streams of known
/// length are stored as bytes; null and undefined store an empty object;
/// a missing value, other primitives and objects are refused, and so is a
/// stream of unknown length. The etag is the hex MD5 of the bytes. A
/// Blob's type is not kept. Overwriting replaces value and metadata.
#[tokio::test]
async fn put_every_kind_of_value() {
  let sides = sides();
  let stored = |key: &str, size: u64, etag: &str, bytes: &[u8]| {
    json!({
      "ok": obj(json!({ "class": "HeadResult", "key": key, "size": size, "etag": etag })),
      "stored": ok(array_buffer(bytes)),
    })
  };
  let refused = |name: &str, message: &str| {
    let mut e = error(name, message);
    e["stored"] = ok(Value::Null);
    e
  };
  check(
    &sides,
    "put-values",
    &json!({
      "string": stored("v:string", 11, "960f4a926961a6381e2ffd35437e89a4", "héllo 🔑".as_bytes()),
      "emptyString": stored("v:empty", 0, EMPTY_MD5, b""),
      "arrayBuffer": stored("v:ab", 3, "4f989b1ac8e4fab115696571104cfb67", &[1, 2, 255]),
      "uint8Array": stored("v:u8", 3, "5289df737df57326fcdd22597afb1fac", &[1, 2, 3]),
      "subarray": stored("v:sub", 2, "1fab1cffea9b6fd2f36bfb46e182fd77", &[2, 3]),
      "uint16Array": stored("v:u16", 2, "050d144172d916d0846f839e0412e929", &[2, 1]),
      "dataView": stored("v:dv", 2, "8030b3dcdd08a28c2aaca1d6ea25053d", &[8, 7]),
      "responseBody": stored("v:resp", 8, "2cb638eedb2a1c0e53e7f73b81ce030e", b"streamed"),
      "requestBody": stored("v:req", 14, "dd43732562cd7e63f1bfe9f3c99f77f1", b"from a request"),
      "fixedLengthStream": stored("v:fixed", 4, "e2fc714c4727ee9395f324cd2e7f331f", b"abcd"),
      "streamUnknownLength": refused("TypeError", UNKNOWN_LENGTH),
      "blob": stored("v:blob", 4, "ee26908bf9629eeb4b37dac350f4754a", b"blob"),
      "null": stored("v:null", 0, EMPTY_MD5, b""),
      "undefined": stored("v:undef", 0, EMPTY_MD5, b""),
      // put(key) without a value: refused, unlike put(key, undefined).
      "noValue": refused("TypeError", NOT_A_VALUE),
      "number": refused("TypeError", NOT_A_VALUE),
      "boolean": refused("TypeError", NOT_A_VALUE),
      "object": refused("TypeError", NOT_A_VALUE),
      "array": refused("TypeError", NOT_A_VALUE),
      "optionsNull": stored("v:optsnull", 1, "9e3669d19b675bd57058fd4664205d2a", b"v"),
      "optionsEmpty": stored("v:optsempty", 1, "9e3669d19b675bd57058fd4664205d2a", b"v"),
      "noArguments": error("TypeError", "Failed to execute 'put' on 'R2Bucket': parameter 1 is not of type 'string'."),
      "blobContentType": ok(undef()),
      "overwrite": ok(json!(["two", 3, obj(json!({})), undef()])),
    }),
  )
  .await;
}

/// httpMetadata is an object of the six fields (others ignored; strings
/// coerced; cacheExpiry a Date or a number of milliseconds) or a Headers
/// (Content-Type, Content-Language, Content-Disposition, Content-Encoding,
/// Cache-Control and Expires; an unparsable Expires is the epoch).
/// customMetadata is an object of strings (values coerced), kept in order;
/// Miniflare limits keys plus values to 2048 characters (a string with a
/// character over U+00FF counting twice). put() answers the metadata it
/// was given, head() what was stored. storageClass is accepted and not
/// kept (always ""), ssecKey checked for form and otherwise ignored.
#[tokio::test]
async fn put_metadata_and_options() {
  let sides = sides();
  let read = |http: Value, custom: Value| {
    let both = obj(json!({ "httpMetadata": http, "customMetadata": custom }));
    json!({ "ok": both.clone(), "head": ok(both) })
  };
  let plain = |custom: Value| read(http(json!({})), custom);
  let refused = |name: &str, message: &str| {
    let mut e = error(name, message);
    e["head"] = ok(Value::Null);
    e
  };
  let none = obj(json!({}));
  check(
    &sides,
    "put-metadata",
    &json!({
      "none": plain(none.clone()),
      "httpObject": read(http(json!({
        "contentType": "text/html; charset=utf-8",
        "contentLanguage": "fr-CA",
        "contentDisposition": "attachment; filename=\"a.txt\"",
        "contentEncoding": "gzip",
        "cacheControl": "max-age=60",
        "cacheExpiry": date("2030-01-02T03:04:05.678Z"),
      })), none.clone()),
      "httpHeaders": read(http(json!({
        "contentType": "image/png",
        "contentLanguage": "de",
        "contentDisposition": "inline",
        "contentEncoding": "br",
        "cacheControl": "no-store",
        "cacheExpiry": date("2015-10-21T07:28:00.000Z"),
      })), none.clone()),
      "httpHeadersEmpty": plain(none.clone()),
      "httpHeadersBadExpires": read(http(json!({ "cacheExpiry": date("1970-01-01T00:00:00.000Z") })), none.clone()),
      "httpUnknownField": read(http(json!({ "contentType": "a/b" })), none.clone()),
      "httpNumber": read(http(json!({ "contentType": "5" })), none.clone()),
      "httpEmptyString": read(http(json!({ "contentType": "" })), none.clone()),
      "cacheExpiryNumber": read(http(json!({ "cacheExpiry": date("1970-01-01T00:00:01.000Z") })), none.clone()),
      "cacheExpiryString": refused("TypeError", "Incorrect type for the 'cacheExpiry' field on 'HttpMetadata': the provided value is not of type 'date'."),
      "httpString": refused("TypeError", "Incorrect type for the 'httpMetadata' field on 'PutOptions': the provided value is not of type 'HttpMetadata or Headers'."),
      "custom": plain(obj(json!({ "b": "2", "a": "1", "with space": "v a l", "é": "ü" }))),
      "customNumber": plain(obj(json!({ "n": "5", "t": "true", "o": "null" }))),
      "customEmpty": plain(none.clone()),
      "customString": refused("TypeError", "Incorrect type for the 'customMetadata' field on 'PutOptions': the provided value is not of type 'object'."),
      "customArray": refused("TypeError", "Incorrect type for the 'customMetadata' field on 'PutOptions': the provided value is not of type 'object'."),
      "custom2048": plain(obj(json!({ "k": short('x', 2047) }))),
      "custom2049": refused("Error", METADATA_TOO_LARGE),
      "customWide": plain(obj(json!({ "k": short('\u{100}', 1023) }))),
      "customWideOver": refused("Error", METADATA_TOO_LARGE),
      "both": read(http(json!({ "contentType": "t/t" })), obj(json!({ "c": "d" }))),
      "customKeyOrder": ok(json!(["b", "a", "with space", "é"])),
    }),
  )
  .await;

  let kept = ok(json!(["", undef(), "", undef()]));
  check(
    &sides,
    "put-storage-class",
    &json!({
      "none": kept,
      "standard": kept,
      "infrequent": kept,
      "bogus": kept,
      "ssecHex": kept,
      "ssecBadFormat": error("Error", "SSE-C Key has invalid format"),
      "ssecShort": error("Error", "SSE-C Key must be 32 bytes in length"),
      "ssecBuffer": kept,
      "ssecShortBuffer": error("Error", "SSE-C Key must be 32 bytes in length"),
      "multipart": ok(json!(["", ""])),
      "getSsec": ok(brief("GetResult", "sc:none", 1, "9e3669d19b675bd57058fd4664205d2a", range(0, 1), None)),
      "getSsecBad": error("Error", "SSE-C Key has invalid format"),
    }),
  )
  .await;
}

/// One checksum at most, as hex (either case) or bytes, checked by length
/// and form before the request; a checksum that does not match refuses the
/// put (BadDigest, 10037) and keeps the old object. The MD5 is always
/// computed (it is the etag); a SHA given is kept too.
#[tokio::test]
async fn put_checksums() {
  let sides = sides();
  let stored = |extra: Value| {
    let mut fields = json!({ "md5": MD5 });
    for (k, v) in extra.as_object().unwrap() {
      fields[k] = v.clone();
    }
    let s = sums(fields);
    json!({ "ok": obj(json!({ "etag": MD5, "checksums": s })), "head": ok(s) })
  };
  let refused = |e: Value| {
    let mut e = e;
    e["head"] = ok(Value::Null);
    e
  };
  let type_error = |m: &str| refused(error("TypeError", m));
  let md5_only = stored(json!({}));
  let mut kept = bad_digest("SHA-256", &wrong(SHA256), SHA256);
  kept["head"] = ok(sums(json!({ "md5": "4d8b6084f3d167b76cac66a22a91be02" })));
  check(
    &sides,
    "put-checksums",
    &json!({
      "none": md5_only,
      "md5Hex": md5_only,
      "md5Upper": md5_only,
      "md5Buffer": md5_only,
      "md5View": md5_only,
      "md5Wrong": refused(bad_digest("MD5", &wrong(MD5), MD5)),
      "md5Short": type_error("MD5 is 32 hex characters, not 3"),
      "md5NotHex": type_error("Provided MD5 wasn't a valid hex string"),
      "md5ShortBuffer": type_error("MD5 is 16 bytes, not 3"),
      "md5Number": type_error("Incorrect type for the 'md5' field on 'PutOptions': the provided value is not of type 'JsBufferSource or string'."),
      "sha1": stored(json!({ "sha1": SHA1 })),
      "sha1Wrong": refused(bad_digest("SHA-1", &wrong(SHA1), SHA1)),
      "sha1Short": type_error("SHA-1 is 40 hex characters, not 2"),
      "sha256": stored(json!({ "sha256": SHA256 })),
      "sha256Buffer": stored(json!({ "sha256": SHA256 })),
      "sha256Wrong": refused(bad_digest("SHA-256", &wrong(SHA256), SHA256)),
      "sha256Short": type_error("SHA-256 is 64 hex characters, not 2"),
      "sha256ShortBuffer": type_error("SHA-256 is 32 bytes, not 31"),
      "sha384": stored(json!({ "sha384": SHA384 })),
      "sha384Wrong": refused(bad_digest("SHA-384", &wrong(SHA384), SHA384)),
      "sha384Short": type_error("SHA-384 is 96 hex characters, not 2"),
      "sha512": stored(json!({ "sha512": SHA512 })),
      "sha512Wrong": refused(bad_digest("SHA-512", &wrong(SHA512), SHA512)),
      "sha512Short": type_error("SHA-512 is 128 hex characters, not 2"),
      "two": type_error(MULTIPLE_HASHES),
      "twoSha": type_error(MULTIPLE_HASHES),
      "keptOnMismatch": kept,
      "keptText": ok(json!("kept")),
      "headMd5": ok(array_buffer(&hex_bytes(MD5))),
      "headSha256": ok(array_buffer(&hex_bytes(SHA256))),
      "headSha1": ok(undef()),
      "emptyMd5": ok(json!(EMPTY_MD5)),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Reading.

/// writeHttpMetadata(headers) sets the headers the object has metadata
/// for (Expires as an HTTP date), replacing those of the same name and
/// keeping the others; it answers undefined. Under Miniflare list()'s
/// objects always carry httpMetadata (empty unless asked for), so it never
/// throws there.
#[tokio::test]
async fn write_http_metadata() {
  let sides = sides();
  let all = json!([
    ["cache-control", "max-age=60"],
    ["content-disposition", "inline"],
    ["content-encoding", "gzip"],
    ["content-language", "fr"],
    ["content-type", "text/html"],
    ["expires", "Wed, 02 Jan 2030 03:04:05 GMT"],
  ]);
  let wrote = |headers: Value| ok(obj(json!({ "returned": undef(), "headers": headers })));
  let mut with_keep = all.as_array().unwrap().clone();
  with_keep.push(json!(["x-keep", "1"]));
  let not_headers = error(
    "TypeError",
    "Failed to execute 'writeHttpMetadata' on 'HeadResult': parameter 1 is not of type 'Headers'.",
  );
  check(
    &sides,
    "write-http-metadata",
    &json!({
      "fromPut": wrote(all.clone()),
      "fromHead": wrote(all.clone()),
      "fromGet": wrote(Value::Array(with_keep)),
      "overwrites": wrote(json!([["cache-control", "kept"], ["content-type", "a/b"], ["x-keep", "1"]])),
      "none": wrote(json!([["x-keep", "1"]])),
      "listWithout": wrote(json!([])),
      "listWith": wrote(all),
      "listCustomOnly": wrote(json!([])),
      "noArgument": not_headers,
      "plainObject": not_headers,
      "response": ok(json!(["text/html", "\"9dd4e461268c8034f5c8564e155c67a6\"", "Wed, 02 Jan 2030 03:04:05 GMT"])),
    }),
  )
  .await;
}

/// An R2ObjectBody's body is read once, by text(), json(), arrayBuffer(),
/// bytes(), blob() (typed with the object's contentType) or through
/// `body` (the same ReadableStream each time); bodyUsed tells.
#[tokio::test]
async fn get_body_readers() {
  let sides = sides();
  let text = r#"{"a":[1,"x"],"b":null}"#;
  check(
    &sides,
    "get-body",
    &json!({
      "text": ok(json!(text)),
      "json": ok(obj(json!({ "a": [1, "x"], "b": null }))),
      "arrayBuffer": ok(array_buffer(&[0, 1, 254, 255])),
      "bytes": ok(json!({ "Uint8Array": [0, 1, 254, 255] })),
      "blob": ok(json!(["Blob", "application/json", 22, text])),
      "blobNoType": ok(json!(["", 4])),
      "body": ok(json!([true, true, false, { "Uint8Array": [0, 1, 254, 255] }, true])),
      "bodyReader": ok(json!([true, true])),
      "usedTwice": ok(json!([false, true])),
      "textTwice": error("TypeError", USED),
      "arrayBufferAfterText": error("TypeError", USED),
      "jsonAfterBody": error("TypeError", USED),
      "jsonInvalid": error_named("SyntaxError"),
      "empty": ok(json!([0, "", range(0, 0)])),
      "emptyBody": ok(json!([true, ""])),
      "unread": ok(json!(22)),
    }),
  )
  .await;
}

/// head() and get() of a missing key answer null; keys are converted to
/// strings (null is "null"); head() ignores a second argument. Errors are
/// plain Errors whose message is "<operation>: <R2's message> (<code>)".
#[tokio::test]
async fn head_get_and_key_arguments() {
  let sides = sides();
  check(
    &sides,
    "head",
    &json!({
      "present": ok(json!([
        "HeadResult", false, "h", 7, "5f054672f3a376847d686e885f222964",
        obj(json!({ "h": "1" })), range(0, 7),
      ])),
      "missing": ok(Value::Null),
      "noArgument": error("TypeError", "Failed to execute 'head' on 'R2Bucket': parameter 1 is not of type 'string'."),
      "extraArgument": ok(brief("HeadResult", "h", 7, "5f054672f3a376847d686e885f222964", range(0, 7), None)),
      "nullKey": ok(brief("HeadResult", "null", 1, "8d9c307cb7f3c4a32822a51922d1ceaa", range(0, 1), None)),
      "numberKey": ok(brief("HeadResult", "1", 3, "f97c5d29941bfb1b2fdab0874906ab82", range(0, 3), None)),
      "getNoArgument": error("TypeError", "Failed to execute 'get' on 'R2Bucket': parameter 1 is not of type 'string'."),
      "getUndefinedKey": ok(brief("GetResult", "undefined", 1, "4c614360da93c0a041b22e537de151eb", range(0, 1), Some("U"))),
      "getOptionsString": error("TypeError", "Failed to execute 'get' on 'R2Bucket': parameter 2 is not of type 'GetOptions'."),
      // R2's errors are plain Errors (workerd's R2Error, with `code`, is
      // not enabled), and argument errors are rejections, not throws.
      "errorShape": ok(json!(["Error", true, [], undef(), undef()])),
      "rejects": ok(json!([true, "TypeError"])),
    }),
  )
  .await;
}

/// Ranged get() on "0123456789": {offset, length}, {offset}, {length},
/// {suffix}, clipped to the object; `range` reports the bytes returned as
/// {offset, length}. An empty or past-the-end range is refused by R2
/// (InvalidRange, 10039); negative, fractional or mixed ranges by the
/// runtime first. A Range header is honoured only when it names exactly
/// one satisfiable range; anything else reads the whole object.
#[tokio::test]
async fn ranged_reads() {
  let sides = sides();
  const ETAG: &str = "781e5e245d69b566979b86e28d23f2c7";
  let read = |offset: u64, length: u64| {
    let text = &"0123456789"[offset as usize..(offset + length) as usize];
    ok(brief(
      "GetResult",
      "r",
      10,
      ETAG,
      range(offset, length),
      Some(text),
    ))
  };
  let whole = read(0, 10);
  let unsatisfiable = error("Error", NOT_SATISFIABLE);
  check(
    &sides,
    "ranges",
    &json!({
      "offsetLength": read(2, 3),
      "offsetOnly": read(7, 3),
      "lengthOnly": read(0, 4),
      "suffix": read(7, 3),
      "suffixWhole": whole,
      "suffixOver": whole,
      "lengthOver": read(8, 2),
      "offsetLast": read(9, 1),
      "offsetAtEnd": unsatisfiable,
      "offsetPastEnd": unsatisfiable,
      "offsetPastEndLength": unsatisfiable,
      "offsetZero": whole,
      "lengthZero": unsatisfiable,
      "offsetZeroLengthZero": unsatisfiable,
      "offsetLengthZero": unsatisfiable,
      "suffixZero": unsatisfiable,
      "empty": whole,
      "offsetNegative": error("RangeError", "Invalid range. Starting offset (-1) must be greater than or equal to 0."),
      "offsetFraction": error("RangeError", "Invalid range. Starting offset (1.5) must be an integer, not floating point."),
      "lengthNegative": error("RangeError", "Invalid range. Length (-1) must be greater than or equal to 0."),
      "lengthFraction": error("RangeError", "Invalid range. Length (2.5) must be an integer, not floating point."),
      "suffixNegative": error("RangeError", "Invalid suffix. Suffix (-1) must be greater than or equal to 0."),
      "suffixFraction": error("RangeError", "Invalid range. Suffix (1.5) must be an integer, not floating point."),
      "suffixAndOffset": error("TypeError", "Suffix is incompatible with offset."),
      "suffixAndLength": error("TypeError", "Suffix is incompatible with length."),
      "strings": read(2, 3),
      // Sic: "nan", lower case.
      "notANumber": error("RangeError", "Invalid range. Starting offset (nan) must be greater than or equal to 0."),
      "rangeNull": whole,
      "headerFromTo": read(2, 3),
      "headerFrom": read(5, 5),
      "headerSuffix": read(7, 3),
      "headerSuffixOver": whole,
      "headerToOver": read(8, 2),
      "headerWhole": whole,
      "headerTwo": whole,
      "headerUnsatisfiable": whole,
      "headerReversed": whole,
      "headerGarbage": whole,
      "headerOtherUnit": whole,
      "headerNone": whole,
      "missingKey": ok(Value::Null),
      "headHasRange": ok(range(0, 10)),
    }),
  )
  .await;
}

/// onlyIf, as an object (etags unquoted; "*" matches any) or a Headers
/// (If-Match, If-None-Match with quoted etags, weak or strong;
/// If-Modified-Since and If-Unmodified-Since at a second's granularity).
/// A get() whose condition fails answers the object without a body (class
/// HeadResult); a put() whose condition fails answers null and writes
/// nothing. As in HTTP, a matching etag overrides the date condition that
/// pairs with it. A missing object: get() answers null; put() is refused
/// by etagMatches and uploadedAfter only.
#[tokio::test]
async fn conditional_get_and_put() {
  let sides = sides();
  const ETAG: &str = "26542fb18a8b14c9775aa475f23c909f";
  let body = ok(brief("GetResult", "c", 4, ETAG, range(0, 4), Some("cond")));
  let no_body = ok(brief("HeadResult", "c", 4, ETAG, range(0, 4), None));
  let put_null = |after: &str| json!({ "ok": null, "after": ok(json!(after)) });
  let put_ok = |key: &str, size: u64, etag: &str, after: &str| {
    json!({
      "ok": brief("HeadResult", key, size, etag, undef(), None),
      "after": ok(json!(after)),
    })
  };
  let put_missing_null = json!({ "ok": null, "after": ok(Value::Null) });
  const V_MD5: &str = "9e3669d19b675bd57058fd4664205d2a";
  check(
    &sides,
    "conditionals",
    &json!({
      "etagMatches": body,
      "etagMatchesWrong": no_body,
      "etagMatchesStar": body,
      "etagMatchesQuoted": error("TypeError", &format!("Conditional ETag should not be wrapped in quotes (\"{ETAG}\").")),
      "etagMatchesWeak": no_body,
      "etagDoesNotMatch": no_body,
      "etagDoesNotMatchOther": body,
      "etagDoesNotMatchStar": no_body,
      "etagNotString": error("TypeError", "Incorrect type for the 'etagMatches' field on 'Conditional': the provided value is not of type 'string'."),
      "uploadedBeforeLater": body,
      "uploadedBeforeEarlier": no_body,
      "uploadedBeforeSame": no_body,
      "uploadedAfterEarlier": body,
      "uploadedAfterLater": no_body,
      "uploadedAfterSame": no_body,
      "uploadedAfterSameSeconds": no_body,
      "uploadedBeforeNumber": body,
      "uploadedBeforeString": error("TypeError", "Incorrect type for the 'uploadedBefore' field on 'Conditional': the provided value is not of type 'date'."),
      "etagMatchesAndUploadedBeforeEarlier": body,
      "etagDoesNotMatchAndUploadedAfterLater": body,
      "bothEtags": no_body,
      "empty": body,
      "missingKey": ok(Value::Null),
      "missingKeyNoMatch": ok(Value::Null),
      "ifMatch": body,
      "ifMatchWrong": no_body,
      "ifMatchList": body,
      "ifMatchStar": body,
      "ifMatchWeak": no_body,
      "ifMatchUnquoted": error("Error", "Invalid ETag in if-match header"),
      "ifMatchUnclosed": error("Error", "Unclosed double quote for Etag"),
      "ifMatchNoComma": error("Error", "Comma was expected to separate etags. Encountered a double quote character '\"' instead. This would otherwise indicate the start of a new strong etag."),
      "ifNoneMatch": no_body,
      "ifNoneMatchWeak": no_body,
      "ifNoneMatchOther": body,
      "ifNoneMatchStar": no_body,
      "ifModifiedSinceEarlier": body,
      "ifModifiedSinceLater": no_body,
      "ifUnmodifiedSinceLater": body,
      "ifUnmodifiedSinceEarlier": no_body,
      // An unparsable date is the epoch.
      "ifModifiedSinceGarbage": body,
      "ifUnmodifiedSinceGarbage": no_body,
      "none": body,
      "putEtagMatchesWrong": put_null("cond"),
      "putEtagMatches": put_ok("c", 4, "82f2ec5f5ed4dfed2b55c68496d7bac4", "new2"),
      "putEtagDoesNotMatchStar": put_null("new2"),
      "putMissingEtagMatches": put_missing_null,
      "putMissingEtagMatchesStar": put_missing_null,
      "putMissingEtagDoesNotMatchStar": put_ok("c:fresh3", 1, V_MD5, "v"),
      "putMissingUploadedAfter": put_missing_null,
      "putMissingUploadedBefore": put_ok("c:fresh5", 1, V_MD5, "v"),
      "putIfNoneMatchStarHeaders": put_null("new2"),
      "putUploadedBeforeEarlier": put_null("new2"),
      "putUploadedAfterEarlier": put_ok("c", 4, "945558784ad9bbcd3486d90d1379e115", "new6"),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// delete() and list().

/// delete() takes a key or an array of keys, answers undefined whether or
/// not they existed, and refuses the lot if one name is invalid (Miniflare
/// does not limit the array to 1000 keys, as Cloudflare does).
#[tokio::test]
async fn delete_one_and_many() {
  let sides = sides();
  check(
    &sides,
    "delete",
    &json!({
      "single": ok(undef()),
      "singleGone": ok(Value::Null),
      "again": ok(undef()),
      "missing": ok(undef()),
      "many": ok(undef()),
      "manyGone": ok(json!(["d4", "null"])),
      "emptyArray": ok(undef()),
      "noArgument": error("TypeError", "Failed to execute 'delete' on 'R2Bucket': parameter 1 is not of type 'string or Array'."),
      "null": ok(undef()),
      "nullGone": ok(json!(["d4"])),
      "number": ok(undef()),
      "longKey": invalid_name("delete"),
      "manyLongKey": invalid_name("delete"),
      "manyLongKeyKept": ok(json!(["d4"])),
      "thousandAndOne": ok(undef()),
    }),
  )
  .await;
}

/// list() answers {objects, truncated, cursor, delimitedPrefixes} (cursor
/// undefined unless truncated), objects in UTF-8 byte order. Miniflare
/// always gives the objects httpMetadata and customMetadata (empty unless
/// `include` asks for them; Cloudflare leaves them undefined) and no
/// range. prefix is matched literally and case-sensitively; a delimiter
/// groups what follows the prefix up to it into delimitedPrefixes
/// ("" is none); startAfter is exclusive.
#[tokio::test]
async fn list_prefix_delimiter_include() {
  let sides = sides();
  let all = [
    "B", "a", "a b", "a/b", "a/c/d", "a/c/e", "a0", "b", "meta", "~", "é", "ﬀ", "😀",
  ];
  let after = [
    "B", "a", "a b", "a/b", "a/c/d", "a/c/e", "a0", "b", "meta", "x%1", "x_1", "xy1", "~", "é",
    "ﬀ", "😀",
  ];
  let meta_http =
    http(json!({ "contentType": "text/meta", "cacheExpiry": date("2030-01-01T00:00:00.000Z") }));
  let no_http = http(json!({}));
  let metadata = |http: &Value, custom: Value| {
    ok(obj(
      json!({ "httpMetadata": http, "customMetadata": custom }),
    ))
  };
  let entry = |key: &str, size: u64, md5: &str| {
    ok(r2_object(
      "HeadResult",
      key,
      size,
      md5,
      undef(),
      http(json!({})),
      obj(json!({})),
    ))
  };
  check(
    &sides,
    "list-basic",
    &json!({
      "empty": ok(obj(json!({ "objects": [], "truncated": false, "cursor": undef(), "delimitedPrefixes": [] }))),
      "all": ok(keys(&all, None, &[])),
      "resultKeys": ok(json!(["objects", "truncated", "cursor", "delimitedPrefixes"])),
      "resultProto": ok(json!(true)),
      "entry": entry("meta", 1, "6f8f57715090da2632453988d9a1501b"),
      "entryKeys": ok(json!(OWN_KEYS)),
      "entryNoMetadata": entry("a/b", 12, "af0b044cab9bf82e9ae7b747e160b1c0"),
      "includeHttp": metadata(&meta_http, obj(json!({}))),
      "includeCustom": metadata(&no_http, obj(json!({ "m": "1" }))),
      "includeBoth": metadata(&meta_http, obj(json!({ "m": "1" }))),
      "includeBothNone": metadata(&no_http, obj(json!({}))),
      "includeEmpty": metadata(&no_http, obj(json!({}))),
      "includeTwice": metadata(&no_http, obj(json!({ "m": "1" }))),
      "includeFoo": error("RangeError", "Unsupported include value foo"),
      "includeString": error("TypeError", "Incorrect type for the 'include' field on 'ListOptions': the provided value is not of type 'Array'."),
      "prefix": ok(keys(&["a/b", "a/c/d", "a/c/e"], None, &[])),
      "prefixNoMatch": ok(keys(&[], None, &[])),
      "prefixEmpty": ok(json!(13)),
      "prefixNumber": error("TypeError", "Incorrect type for the 'prefix' field on 'ListOptions': the provided value is not of type 'string'."),
      "prefixUnicode": ok(keys(&["é"], None, &[])),
      "prefixUnderscore": ok(json!([keys(&["x_1"], None, &[]), keys(&["x%1"], None, &[])])),
      "prefixCase": ok(keys(&[], None, &[])),
      "delimiter": ok(keys(
        &["B", "a", "a b", "a0", "b", "meta", "x%1", "x_1", "xy1", "~", "é", "ﬀ", "😀"],
        None,
        &["a/"],
      )),
      "delimiterPrefix": ok(keys(&["a/b"], None, &["a/c/"])),
      "delimiterPrefixNoSlash": ok(keys(&["a", "a b", "a0"], None, &["a/"])),
      "delimiterLong": ok(keys(
        &["B", "a", "a b", "a/b", "a0", "b", "meta", "x%1", "x_1", "xy1", "~", "é", "ﬀ", "😀"],
        None,
        &["a/c/"],
      )),
      "delimiterEmpty": ok(keys(&after, None, &[])),
      "delimiterLetter": ok(keys(
        &["B", "b", "x%1", "x_1", "xy1", "~", "é", "ﬀ", "😀"],
        None,
        &["a", "meta"],
      )),
      "startAfter": ok(keys(&["b", "meta", "x%1", "x_1", "xy1", "~", "é", "ﬀ", "😀"], None, &[])),
      "startAfterMissing": ok(keys(&["b", "meta", "x%1", "x_1", "xy1", "~", "é", "ﬀ", "😀"], None, &[])),
      "startAfterPrefix": ok(keys(&["a/c/e", "a0"], None, &[])),
      "startAfterEmpty": ok(json!(16)),
      "argNull": ok(json!(16)),
      "argString": error("TypeError", "Failed to execute 'list' on 'R2Bucket': parameter 1 is not of type 'ListOptions'."),
    }),
  )
  .await;
}

/// limit is 1 to 1000 (default 1000; 0 and 1001 refused by R2 with
/// InvalidMaxKeys, 10022; -1 reads as the default, fractions truncate,
/// strings convert); a truncated page has a cursor, which Miniflare makes
/// the base64 of the last key returned (a delimited prefix counts as one
/// entry; its cursor is its last key). The later of cursor and startAfter
/// wins. More than 1000 objects take two pages; `include` caps a page at
/// 100.
#[tokio::test]
async fn list_limit_cursor_and_many() {
  let sides = sides();
  let every = ["a", "b", "c/1", "c/2", "c/3", "d", "e"];
  let whole = ok(keys(&every, None, &[]));
  let max_keys = error(
    "Error",
    "list: MaxKeys params must be positive integer <= 1000. (10022)",
  );
  check(
    &sides,
    "list-paging",
    &json!({
      "limit 1": ok(keys(&["a"], Some("YQ=="), &[])),
      "limit 2": ok(keys(&["a", "b"], Some("Yg=="), &[])),
      "limit 7": whole,
      "limit 8": whole,
      "limit 1000": whole,
      "limit 0": max_keys,
      "limit 1.5": ok(keys(&["a"], Some("YQ=="), &[])),
      "limit \"2\"": ok(keys(&["a", "b"], Some("Yg=="), &[])),
      "limit -1": whole,
      "limit 1001": max_keys,
      "limit 2^32+1": error("TypeError", "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."),
      "resultKeysTruncated": ok(json!(["objects", "truncated", "cursor", "delimitedPrefixes"])),
      "pages": ok(json!([
        keys(&["a", "b", "c/1"], Some("Yy8x"), &[]),
        keys(&["c/2", "c/3", "d"], Some("ZA=="), &[]),
        keys(&["e"], None, &[]),
      ])),
      "delimiterPages": ok(json!([
        keys(&["a", "b"], Some("Yg=="), &[]),
        keys(&["d"], Some("ZA=="), &["c/"]),
        keys(&["e"], None, &[]),
      ])),
      "cursorAndStartAfter": ok(json!([
        keys(&["c/3", "d", "e"], None, &[]),
        keys(&["b", "c/1", "c/2", "c/3", "d", "e"], None, &[]),
      ])),
      "cursorEmpty": whole,
      // "bogus" decodes to bytes after every key.
      "cursorBogus": ok(keys(&[], None, &[])),
      "cursorOfKey": ok(keys(&["c/3", "d", "e"], None, &[])),
      "cursorNotString": error("TypeError", "Incorrect type for the 'cursor' field on 'ListOptions': the provided value is not of type 'string'."),
      "prefixLimit": ok(keys(&["c/1", "c/2"], Some("Yy8y"), &[])),
    }),
  )
  .await;

  let page = |count: u64, first: &str, last: &str, cursor: Option<&str>| {
    json!({
      "count": count,
      "first": first,
      "last": last,
      "truncated": cursor.is_some(),
      "cursor": cursor.map_or_else(undef, |c| json!(c)),
    })
  };
  let thousand = page(1000, "many/0000", "many/0999", Some("bWFueS8wOTk5"));
  let last = page(1, "many/1000", "many/1000", None);
  let hundred = page(100, "many/0000", "many/0099", Some("bWFueS8wMDk5"));
  check(
    &sides,
    "list-many",
    &json!({
      "first": thousand,
      "second": last,
      "limit1000": thousand,
      "includeHttp": hundred,
      "includeCustomLimit500": hundred,
      "includeLimit50": page(50, "many/0000", "many/0049", Some("bWFueS8wMDQ5")),
      "includeEmpty": thousand,
      "deleteMany": last,
    }),
  )
  .await;
}

/// Object names: any string up to 1024 bytes of UTF-8 (the empty name,
/// ".", "..", NUL and slashes included); longer is refused by every
/// operation with InvalidObjectName (10020), except list()'s prefix.
#[tokio::test]
async fn object_names() {
  let sides = sides();
  let fine = |name: &str| {
    let value = format!("value of {name}");
    json!({ "ok": value.len(), "get": ok(json!(value)), "head": ok(json!(value.len())) })
  };
  let refused = || {
    let mut e = invalid_name("put");
    e["get"] = invalid_name("get");
    e["head"] = invalid_name("head");
    e
  };
  check(
    &sides,
    "keys",
    &json!({
      "1024 bytes": fine("1024 bytes"),
      "1025 bytes": refused(),
      "512 e-acute (1024 bytes)": fine("512 e-acute (1024 bytes)"),
      "513 e-acute (1026 bytes)": refused(),
      "empty": fine("empty"),
      "dot": fine("dot"),
      "dotdot": fine("dotdot"),
      "slashes": fine("slashes"),
      "leading slash": fine("leading slash"),
      "dot segment": fine("dot segment"),
      "unicode": fine("unicode"),
      "nul": fine("nul"),
      "spaces": fine("spaces"),
      "percent": fine("percent"),
      "number": fine("number"),
      "symbol": error("TypeError", "Cannot convert a Symbol value to a string"),
      "getLong": invalid_name("get"),
      "headLong": invalid_name("head"),
      "deleteLong": invalid_name("delete"),
      "createLong": invalid_name("createMultipartUpload"),
      "listLongPrefix": ok(json!(0)),
      "listed": ok(json!([
        "", " a b ", "%20", ".", "..", "/a", "5", "a\u{0}b", "a/../b", "a/b/c",
        short('k', 1024), short('é', 512), "ключ🔑",
      ])),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Multipart uploads.

/// createMultipartUpload() answers an R2MultipartUpload {key, uploadId}
/// (Miniflare's uploadId: 171 characters of base64url); uploadPart()
/// answers a plain {partNumber, etag} (etag: also 171 characters of
/// base64url, different every upload); complete() answers the R2Object,
/// whose etag is the hex MD5 of the parts' binary MD5s, "-", the number of
/// parts, and which has no checksums. Its metadata is the upload's. Parts
/// but the last must be at least 5 MiB. resumeMultipartUpload() answers at
/// once, without a request. The upload is invisible until completed, after
/// which it is gone (abort() then still answers undefined).
#[tokio::test]
async fn multipart_upload_flow() {
  let sides = sides();
  let size = 5 * MIB + 4;
  const ETAG: &str = "30dcfd3901d1c613b7fb532281748544-2";
  let no_sums = sums(json!({}));
  let mp_http = http(json!({ "contentType": "application/x-mp" }));
  let custom = obj(json!({ "m": "1" }));
  check(
    &sides,
    "multipart-flow",
    &json!({
      "upload": { "instance of R2MultipartUpload": { "uploadId": "<uploadId>", "key": "mp:obj" } },
      "uploadKeys": ["uploadId", "key"],
      "uploadChain": [["R2MultipartUpload", ["abort", "complete", "constructor", "uploadPart"]]],
      "uploadIdLength": 171,
      "notListed": ok(json!(0)),
      "part": obj(json!({ "partNumber": 1, "etag": "<partEtag>" })),
      "partKeys": ["partNumber", "etag"],
      "partProto": true,
      "partEtagLength": 171,
      "partEtagForm": true,
      "partNumbers": [1, 2],
      "etagsDiffer": true,
      "completed": { "instance of HeadResult": {
        "ssecKeyMd5": undef(),
        "storageClass": "",
        "range": undef(),
        "customMetadata": custom,
        "httpMetadata": mp_http,
        "uploaded": now(),
        "checksums": { "instance of Checksums": {
          "sha512": undef(), "sha384": undef(), "sha256": undef(), "sha1": undef(), "md5": undef(),
        } },
        "httpEtag": format!("\"{ETAG}\""),
        "etag": ETAG,
        "size": size,
        "version": "<version>",
        "key": "mp:obj",
      } },
      "completedChecksums": no_sums,
      "head": ok(obj(json!({
        "class": "HeadResult",
        "size": size,
        "etag": ETAG,
        "httpEtag": format!("\"{ETAG}\""),
        "checksums": no_sums,
        "httpMetadata": mp_http,
        "customMetadata": custom,
        "range": range(0, size),
        "versionMatches": true,
      }))),
      "get": ok(json!([size, "aaa", "aatail", range(0, size)])),
      "rangeAcrossParts": ok(brief("GetResult", "mp:obj", size, ETAG, range(5 * MIB - 2, 4), Some("aata"))),
      "rangeSecondPart": ok(brief("GetResult", "mp:obj", size, ETAG, range(5 * MIB + 1, 3), Some("ail"))),
      "listed": ok(json!([["mp:obj", size, ETAG]])),
      "completeAgain": no_such_upload("completeMultipartUpload"),
      "uploadAfterComplete": no_such_upload("uploadPart"),
      "abortAfterComplete": ok(undef()),
      "single": ok(json!([4, "ea62d57755f34c46eea7035b29d5fc46-1", no_sums, http(json!({})), obj(json!({})), "only"])),
      "resume": ok(json!([true, "R2MultipartUpload", "mp:resumed", true, 5 * MIB + 7, "a7ed941ce9f46a35ab53a69024e65e7c-2"])),
      "reupload": ok(json!([
        { "error": { "name": "Error", "message": INVALID_PART } },
        false,
        size,
        ETAG,
      ])),
      "overwrite": ok(json!(["before", "after"])),
      // No parts: an empty object, etag "<MD5 of nothing>-0".
      "noParts": ok(brief("HeadResult", "mp:none", 0, &format!("{EMPTY_MD5}-0"), undef(), None)),
      "abort": ok(json!([
        undef(),
        ok(undef()),
        no_such_upload("uploadPart"),
        no_such_upload("completeMultipartUpload"),
        ok(Value::Null),
      ])),
    }),
  )
  .await;
}

/// Part numbers are 1 to 10000 (converted to integers); a part's value is
/// what put() takes, except null. complete() refuses wrong etags or
/// unknown parts (InvalidPart, 10025), a part listed twice (InternalError,
/// 10001), a part under 5 MiB that is not the last one listed
/// (EntityTooSmall, 10011), and parts (by number) of unequal sizes or a
/// last part bigger than the others (BadUpload, 10048). An unknown
/// uploadId, or one of another key: uploadPart() NoSuchUpload (10024),
/// complete() and abort() InternalError (10001). Miniflare does not check
/// the metadata size of a multipart upload.
#[tokio::test]
async fn multipart_upload_errors() {
  let sides = sides();
  let not_value = error(
    "TypeError",
    "Failed to execute 'uploadPart' on 'R2MultipartUpload': parameter 2 is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob'.",
  );
  let unknown_upload = json!([
    no_such_upload("uploadPart"),
    internal_error("completeMultipartUpload"),
    internal_error("abortMultipartUpload"),
  ]);
  let mut bogus = vec![json!("bogus")];
  bogus.extend(unknown_upload.as_array().unwrap().iter().cloned());
  check(
    &sides,
    "multipart-errors",
    &json!({
      "partZero": part_number(0),
      "part10001": part_number(10001),
      "part10000": ok(json!(10000)),
      "partNegative": part_number(-1),
      "partString": ok(json!(3)),
      "partFraction": ok(json!(4)),
      "partNoValue": not_value,
      "partNull": not_value,
      "partStreamUnknownLength": error("TypeError", UNKNOWN_LENGTH),
      "partBlob": ok(json!(6)),
      "partEmpty": ok(json!(7)),
      "tooSmall": error("Error", TOO_SMALL),
      "wrongEtag": error("Error", INVALID_PART),
      "unknownPart": error("Error", INVALID_PART),
      "duplicatePart": internal_error("completeMultipartUpload"),
      "completePartZero": part_number(0),
      "completeNotArray": error("TypeError", "Failed to execute 'complete' on 'R2MultipartUpload': parameter 1 is not of type 'Array'."),
      "completeMissingEtag": error("Error", INVALID_PART),
      "lastBiggerThanOthers": error("Error", BAD_UPLOAD),
      "unequalParts": error("Error", BAD_UPLOAD),
      // The size rule applies to the parts in the order given ...
      "outOfOrderSmallFirst": error("Error", TOO_SMALL),
      // ... the object is assembled in part-number order.
      "outOfOrder": ok(brief("HeadResult", "mpe:sizes", 10 * MIB, "84462a16f6a60478d50148808aa609c1-2", undef(), None)),
      "bogusId": ok(Value::Array(bogus)),
      "otherKey": ok(unknown_upload),
      "resumeNoArguments": error("TypeError", "Failed to execute 'resumeMultipartUpload' on 'R2Bucket': parameter 2 is not of type 'string'."),
      "createOptions": ok(json!([
        http(json!({ "contentType": "x/y", "cacheControl": "no-cache" })),
        obj(json!({ "z": "26" })),
        http(json!({ "contentType": "x/y", "cacheControl": "no-cache" })),
        obj(json!({ "z": "26" })),
      ])),
      "createMetadataTooLarge": ok(brief("HeadResult", "mpe:meta", 1, "8162da0b806fe27ddfe05de1d99cf834-1", undef(), None)),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Persistence and configuration.

/// Objects (single and multipart, with their metadata, checksums, version
/// and upload time), deletions and an upload in progress survive a kill -9
/// and a start on the same --persist-to folder.
#[tokio::test]
async fn data_survives_a_restart() {
  let mut sides = sides();
  let listed = json!([
    ["p:bytes", 4, "0416dab819887333af831f8c765ac2ae"],
    ["p:multi", 5 * MIB + 3, "6d7c5fbffce55b2eb513ca823d7235b2-2"],
    ["p:over", 3, "22af645d1859cb5ca6da0c484f1f37ea"],
    ["p:text", 8, "e5faf586bedfd21cd09fcedfb7e3c23a"],
  ]);
  check(&sides, "persist-write", &listed).await;
  for side in &mut sides {
    side.restart();
  }
  let r2 = sides[0].state.path().join("v3/r2");
  for dir in ["test-bucket/blobs", "miniflare-R2BucketObject"] {
    assert!(
      r2.join(dir).is_dir(),
      "wrangler keeps the bucket in {}",
      r2.join(dir).display()
    );
  }
  let mut after = listed.as_array().unwrap().clone();
  after.insert(
    3,
    json!(["p:pending", 12, "13bbc9e74b06997a9c09bd1515201ede-1"]),
  );
  check(
    &sides,
    "persist-read",
    &json!({
      "text": ok(json!([
        "survives",
        http(json!({ "contentType": "text/plain", "cacheExpiry": date("2030-01-01T00:00:00.000Z") })),
        obj(json!({ "p": "1" })),
      ])),
      "bytes": ok(json!([
        array_buffer(&[0, 1, 2, 255]),
        sums(json!({
          "md5": "0416dab819887333af831f8c765ac2ae",
          "sha256": "3d1f57c984978ef98a18378c8166c1cb8ede02c03eeb6aee7e2f121dfeee3e56",
        })),
      ])),
      "gone": ok(Value::Null),
      "over": ok(json!(["new", obj(json!({}))])),
      "multi": ok(json!([5 * MIB + 3, "6d7c5fbffce55b2eb513ca823d7235b2-2", 5 * MIB + 3, "xxend"])),
      "same": ok(json!([["p:bytes", true], ["p:multi", true], ["p:over", true], ["p:text", true]])),
      "pending": ok(json!([12, "pending part"])),
      "listed": ok(Value::Array(after)),
    }),
  )
  .await;
}

/// A worker folder of its own (worker.js and `config` as wrangler.toml),
/// for configurations other than tests/workers/r2/wrangler.toml.
fn project_with(config: &str) -> TempDir {
  let dir = TempDir::new("r2-config");
  std::fs::copy(
    workers_dir().join("r2/worker.js"),
    dir.path().join("worker.js"),
  )
  .expect("copy worker.js");
  std::fs::write(
    dir.path().join("wrangler.toml"),
    format!(
      "name = \"r2-worker\"\nmain = \"worker.js\"\ncompatibility_date = \"2026-05-01\"\n{config}"
    ),
  )
  .expect("write wrangler.toml");
  dir
}

/// Bad r2_buckets entries: wrangler refuses to start (exit code 1) with
/// these messages; kiln must refuse too, naming `r2_buckets` (its message
/// is not compared). A missing bucket_name is not an error (the bucket is
/// then named after the binding), nor is an unknown jurisdiction.
#[test]
fn bad_r2_config_is_refused() {
  let cases: &[(&str, &str, &str)] = &[
    (
      "no binding",
      "[[r2_buckets]]\nbucket_name = \"test-bucket\"\n",
      "- \"r2_buckets[0]\" bindings should have a string \"binding\" field but got {\"bucket_name\":\"test-bucket\"}.",
    ),
    (
      "binding not a string",
      "[[r2_buckets]]\nbinding = 5\nbucket_name = \"test-bucket\"\n",
      "- \"r2_buckets[0]\" bindings should have a string \"binding\" field but got {\"binding\":5,\"bucket_name\":\"test-bucket\"}.",
    ),
    (
      "empty bucket_name",
      "[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"\"\n",
      "- \"r2_buckets[0]\" bindings should have a string \"bucket_name\" field but got {\"binding\":\"BUCKET\",\"bucket_name\":\"\"}.",
    ),
    (
      "bucket_name not a string",
      "[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = 5\n",
      "- \"r2_buckets[0]\" bindings should have a string \"bucket_name\" field but got {\"binding\":\"BUCKET\",\"bucket_name\":5}.",
    ),
    (
      "invalid bucket_name",
      "[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"Test_Bucket\"\n",
      "- r2_buckets[0].bucket_name=\"Test_Bucket\" is invalid. Bucket names must begin and end with an alphanumeric character, only contain lowercase letters, numbers, and hyphens, and be between 3 and 63 characters long.",
    ),
    (
      "invalid preview_bucket_name",
      "[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"test-bucket\"\npreview_bucket_name = \"ab\"\n",
      // Sic: a space after "=" here, none for bucket_name.
      "- r2_buckets[0].preview_bucket_name= \"ab\" is invalid. Bucket names must begin and end with an alphanumeric character, only contain lowercase letters, numbers, and hyphens, and be between 3 and 63 characters long.",
    ),
    (
      "not an array",
      "r2_buckets = { binding = \"BUCKET\", bucket_name = \"test-bucket\" }\n",
      "- The field \"r2_buckets\" should be an array but got {\"binding\":\"BUCKET\",\"bucket_name\":\"test-bucket\"}.",
    ),
    (
      "duplicate binding",
      "[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"test-bucket\"\n[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"other-bucket\"\n",
      "- BUCKET assigned to multiple R2 Bucket bindings.",
    ),
  ];
  let mut failures = Vec::new();
  for (what, config, message) in cases {
    let project = project_with(config);
    let (code, printed) = wrangler::refuses("wrangler.toml", project.path());
    if code != Some(1) || !printed.contains(message) {
      failures.push(format!(
        "wrangler, {what}: expected exit 1 and {message:?}; got {code:?}:\n{printed}"
      ));
    }
    if reference_only() {
      continue;
    }
    let path = project.path().join("wrangler.toml");
    let mut command = Command::new(kiln_bin());
    command
      .arg("dev")
      .arg("-c")
      .arg(&path)
      .args(["--port", "0", "--no-persist"])
      .current_dir(project.path())
      .env("RUST_BACKTRACE", "0");
    match run_with_deadline(&mut command, Duration::from_secs(15)) {
      Ok(exit) => {
        let out = format!("{}{}", exit.stdout, exit.stderr);
        if exit.code == Some(0) || exit.code.is_none() {
          failures.push(format!(
            "kiln, {what}: should refuse to start; it exited with {:?}:\n{out}",
            exit.code
          ));
        } else if !out.contains("r2_buckets") && !out.contains("R2") {
          failures.push(format!(
            "kiln, {what}: its error names neither r2_buckets nor R2:\n{out}"
          ));
        }
      }
      Err(overdue) => failures.push(format!("kiln, {what}: should refuse at once: {overdue}")),
    }
  }
  assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `r2_buckets` is not inherited by environments: `--env staging`, whose
/// [env.staging] has none, runs without env.BUCKET and warns.
#[tokio::test]
async fn r2_buckets_are_not_inherited_by_environments() {
  let project = project_with(
    "[[r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"test-bucket\"\n\n[env.staging]\nname = \"r2-staging\"\n",
  );
  let want = json!({ "envKeys": [], "BUCKET": "undefined" });
  let warning = "\"r2_buckets\" exists at the top level, but not on \"env.staging\".";
  let why =
    "This is not what you probably want, since \"r2_buckets\" is not inherited by environments.";
  let fix = "Please add \"r2_buckets\" to \"env.staging\".";

  let state = TempDir::new("r2-env-wrangler");
  let dev = Wrangler::start_with(
    &project.path().join("wrangler.toml"),
    state.path(),
    &["--env", "staging"],
  );
  let reply = try_send_within(
    SCENARIO_DEADLINE,
    dev.addr,
    "GET",
    "/scenario/env",
    &[],
    Default::default(),
  )
  .await
  .unwrap_or_else(|why| {
    panic!(
      "wrangler: GET /scenario/env: {why}\n{}",
      last_lines(&dev.output())
    )
  });
  assert_eq!(
    reply.status,
    200,
    "wrangler: {}\n{}",
    reply.text(),
    last_lines(&dev.output())
  );
  assert_json(
    "wrangler (the reference) on /scenario/env",
    &want,
    &reply.json(),
  );
  let out = last_lines(&dev.output());
  for needle in [warning, why, fix] {
    assert!(
      out.contains(needle),
      "wrangler should warn {needle:?}; it printed:\n{out}"
    );
  }
  drop(dev);

  if reference_only() {
    return;
  }
  let state = TempDir::new("r2-env-kiln");
  let state_arg = state.path().to_string_lossy().into_owned();
  let kiln = Kiln::start_in(
    project.path(),
    &[
      "-c",
      "wrangler.toml",
      "--env",
      "staging",
      "--persist-to",
      &state_arg,
    ],
  );
  let reply = try_send_within(
    SCENARIO_DEADLINE,
    kiln.addr,
    "GET",
    "/scenario/env",
    &[],
    Default::default(),
  )
  .await
  .unwrap_or_else(|why| panic!("kiln: GET /scenario/env: {why}\n{}", kiln.output()));
  assert_eq!(
    reply.status,
    200,
    "kiln: {}\n{}",
    reply.text(),
    kiln.output()
  );
  assert_json("kiln on /scenario/env", &want, &reply.json());
  let out = kiln.output();
  for needle in [warning, why, fix] {
    assert!(
      out.contains(needle),
      "kiln should warn {needle:?}; it printed:\n{out}"
    );
  }
}
