//! permessage-deflate (RFC 7692): what a client offers and a server agrees
//! to in `Sec-WebSocket-Extensions`, and the compressor and decompressor a
//! connection keeps once it is agreed. The frames themselves (RSV1, one per
//! message) are conn.rs's business.

use fastwebsockets::Role;

use super::hub::{Compression, Outbound};
use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

/// One `permessage-deflate` element's parameters, from the server's point
/// of view as in the RFC: the server compresses with `server_*`, the client
/// with `client_*`. In an offer, `client_max_window_bits` without a value
/// is 15.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Agreement {
  pub client_no_context_takeover: bool,
  pub server_no_context_takeover: bool,
  pub client_max_window_bits: Option<u8>,
  pub server_max_window_bits: Option<u8>,
}

impl Agreement {
  /// What `role`'s side of the connection keeps to: the window and context
  /// rule of what it receives and of what it sends.
  pub fn sides(&self, role: Role) -> Compression {
    let (outbound, inbound) = match role {
      Role::Server => (
        (self.server_max_window_bits, self.server_no_context_takeover),
        (self.client_max_window_bits, self.client_no_context_takeover),
      ),
      Role::Client => (
        (self.client_max_window_bits, self.client_no_context_takeover),
        (self.server_max_window_bits, self.server_no_context_takeover),
      ),
    };
    Compression {
      inbound_bits: inbound.0.unwrap_or(15),
      inbound_reset: inbound.1,
      outbound_bits: outbound.0.unwrap_or(15),
      outbound_reset: outbound.1,
      inbound_whole: true,
      outbound: Outbound::Undecided,
    }
  }

  /// The element as workerd (kj) writes it, parameters in kj's order.
  pub fn header(&self) -> String {
    let mut out = String::from("permessage-deflate");
    if self.client_no_context_takeover {
      out.push_str("; client_no_context_takeover");
    }
    if self.server_no_context_takeover {
      out.push_str("; server_no_context_takeover");
    }
    if let Some(bits) = self.client_max_window_bits {
      out.push_str(&format!("; client_max_window_bits={bits}"));
    }
    if let Some(bits) = self.server_max_window_bits {
      out.push_str(&format!("; server_max_window_bits={bits}"));
    }
    out
  }
}

/// Where an element's syntax or parameters are refused; parsed as kj parses
/// them, so that kiln agrees (or declines) exactly where workerd does.
#[derive(Debug, PartialEq, Eq)]
enum Element {
  /// A valid `permessage-deflate` element.
  Deflate(Agreement),
  /// `permessage-deflate` with parameters that are not allowed.
  BadDeflate,
  /// Another extension.
  Other,
}

/// The elements of a `Sec-WebSocket-Extensions` value, split on commas and
/// then on semicolons, blanks trimmed; empty elements left out.
fn elements(header: &str) -> Vec<Element> {
  elements_of(header, false)
}

/// The same, for a server's answer, in which `client_max_window_bits`
/// needs its value (RFC 7692 §7.1.2.2).
fn elements_of(header: &str, answer: bool) -> Vec<Element> {
  header
    .split(',')
    .map(trim)
    .filter(|e| !e.is_empty())
    .map(|e| {
      let mut parts = e.split(';').map(trim);
      // Names are compared exactly: kj is case-sensitive here.
      if parts.next() != Some("permessage-deflate") {
        return Element::Other;
      }
      match parameters(parts, answer) {
        Some(agreement) => Element::Deflate(agreement),
        None => Element::BadDeflate,
      }
    })
    .collect()
}

fn trim(text: &str) -> &str {
  text.trim_matches(|c| c == ' ' || c == '\t')
}

/// At most four parameters, each known and given once; the
/// `*_no_context_takeover` ones without a value, `server_max_window_bits`
/// with one; values 8 to 15, unquoted (leading zeros allowed, as kj reads
/// them as integers).
fn parameters<'a>(parts: impl Iterator<Item = &'a str>, answer: bool) -> Option<Agreement> {
  let mut a = Agreement::default();
  let mut seen = [false; 4];
  for (count, part) in parts.enumerate() {
    if count == 4 {
      return None;
    }
    let (key, value) = match part.split_once('=') {
      Some((k, v)) => (trim(k), Some(trim(v))),
      None => (part, None),
    };
    let bits = match value {
      Some(v) => Some(window_bits(v)?),
      None => None,
    };
    let slot = match key {
      "client_no_context_takeover" if bits.is_none() => {
        a.client_no_context_takeover = true;
        0
      }
      "server_no_context_takeover" if bits.is_none() => {
        a.server_no_context_takeover = true;
        1
      }
      "client_max_window_bits" if bits.is_some() || !answer => {
        a.client_max_window_bits = Some(bits.unwrap_or(15));
        2
      }
      "server_max_window_bits" if bits.is_some() => {
        a.server_max_window_bits = bits;
        3
      }
      _ => return None,
    };
    if std::mem::replace(&mut seen[slot], true) {
      return None;
    }
  }
  Some(a)
}

fn window_bits(value: &str) -> Option<u8> {
  if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
    return None;
  }
  let bits: usize = value.trim_start_matches('0').parse().unwrap_or(0);
  (8..=15).contains(&bits).then_some(bits as u8)
}

/// Every valid `permessage-deflate` offer in `header`, in order.
fn offers(header: &str) -> Vec<Agreement> {
  elements(header)
    .into_iter()
    .filter_map(|e| match e {
      Element::Deflate(a) => Some(a),
      _ => None,
    })
    .collect()
}

/// The server's side, under `web_socket_compression`: what the 101 agrees
/// to, given the client's offers (every `Sec-WebSocket-Extensions` value of
/// its request) and the header the worker's Response set, if any. As
/// workerd: without a worker's header, the client's first valid offer, as
/// offered; with one, its first valid element is what the server allows,
/// and the first client offer it can meet is agreed (parameters narrowed
/// to both); a worker's header with no valid element means no compression.
pub fn accept_offer<'a>(
  client_offers: impl IntoIterator<Item = &'a str>,
  worker: Option<&str>,
) -> Option<Agreement> {
  let client: Vec<Agreement> = client_offers.into_iter().flat_map(offers).collect();
  let worker = match worker.filter(|w| !w.is_empty()) {
    None => return client.first().copied(),
    Some(header) => *offers(header).first()?,
  };
  client.into_iter().find_map(|offer| {
    // What the client requires of the server, the worker must allow.
    if offer.server_no_context_takeover && !worker.server_no_context_takeover {
      return None;
    }
    let server_max_window_bits = match (worker.server_max_window_bits, offer.server_max_window_bits)
    {
      (Some(w), Some(c)) => Some(w.min(c)),
      (Some(w), None) => Some(w),
      (None, Some(_)) => return None,
      (None, None) => None,
    };
    Some(Agreement {
      client_no_context_takeover: worker.client_no_context_takeover,
      server_no_context_takeover: worker.server_no_context_takeover,
      client_max_window_bits: match (worker.client_max_window_bits, offer.client_max_window_bits) {
        (Some(w), Some(c)) => Some(w.min(c)),
        _ => None,
      },
      server_max_window_bits,
    })
  })
}

/// What kiln's own client (`new WebSocket()`) offers.
pub const CLIENT_OFFER: &str = "permessage-deflate";

/// A client's offer as workerd sends it for `fetch()`: the valid
/// `permessage-deflate` offers of the caller's header, rewritten in kj's
/// form; `None` when none is valid.
pub fn normalize_offer(header: &str) -> Option<String> {
  let valid = offers(header);
  (!valid.is_empty()).then(|| {
    valid
      .iter()
      .map(Agreement::header)
      .collect::<Vec<_>>()
      .join(", ")
  })
}

/// The client's side: what the server's answer (`answer`, every value
/// joined; empty when it sent none) agreed to, given the `offer` made. Why
/// an answer is refused is worded as workerd words it (the body of the 502
/// `fetch()` then resolves with).
pub fn read_answer(offer: Option<&str>, answer: &str) -> Result<Option<Agreement>, String> {
  let refuse = |why: &str| Err(format!("Server failed WebSocket handshake: {why}"));
  if trim(answer).is_empty() {
    return Ok(None);
  }
  let Some(first) = offer.and_then(|o| offers(o).first().copied()) else {
    return refuse("added Sec-WebSocket-Extensions when client did not offer any.");
  };
  let answer = match &elements_of(answer, true)[..] {
    [one] => match one {
      Element::Deflate(a) => *a,
      Element::BadDeflate => {
        return refuse(
          "the Sec-WebSocket-Extensions header in the Response included an invalid value.",
        )
      }
      Element::Other => {
        return refuse(
          "response included a Sec-WebSocket-Extensions value that was not permessage-deflate.",
        )
      }
    },
    [] => return Ok(None),
    _ => {
      return refuse(
        "expected exactly one extension (permessage-deflate) but received more than one.",
      )
    }
  };
  // Only the first offer is held against the answer (as kj): the client
  // keeps what it asked for of itself, and the narrower window.
  Ok(Some(Agreement {
    client_no_context_takeover: answer.client_no_context_takeover
      || first.client_no_context_takeover,
    server_no_context_takeover: answer.server_no_context_takeover,
    client_max_window_bits: match (answer.client_max_window_bits, first.client_max_window_bits) {
      (Some(a), Some(o)) => Some(a.min(o)),
      (a, o) => a.or(o),
    },
    server_max_window_bits: answer.server_max_window_bits,
  }))
}

/// Why a compressed message could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum InflateError {
  /// It inflates to more than the limit: at least this many bytes.
  TooLarge(usize),
  /// The deflate stream is broken.
  Invalid(String),
}

/// One connection's compressor, for what it sends: kept across messages
/// unless the agreement says otherwise. zlib's state is made when first
/// needed and, without context takeover, dropped after each message: for
/// a 15-bit window it is some 300 KiB, which an idle connection should not
/// hold (1,000 idle compressed connections took 680 MiB when it was made up
/// front).
pub struct Deflater {
  state: Option<Compress>,
  level: flate2::Compression,
  bits: u8,
  reset: bool,
}

/// The same for a connection's decompressor, for what it receives.
pub struct Inflater {
  state: Option<Decompress>,
  bits: u8,
  reset: bool,
}

/// Ends every message's compressed data, and is left off on the wire.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// What `role`'s side of a connection that agreed to `agreement` reads
/// and writes with.
pub fn codecs(agreement: &Agreement, role: Role) -> (Inflater, Deflater) {
  let sides = agreement.sides(role);
  let own_bits = sides.outbound_bits.clamp(8, 15);
  // zlib's raw deflate has no 256-byte window (workerd uses 512 bytes
  // then, which the peer may not read): with 8 agreed, kiln sends stored
  // blocks, which refer to no earlier bytes at all.
  let level = if own_bits == 8 {
    flate2::Compression::none()
  } else {
    flate2::Compression::default()
  };
  let inflater = Inflater {
    state: None,
    // The peer's window as agreed: a reference farther back is an error,
    // as in workerd. (flate2 takes 9 to 15; 9 reads an 8-bit stream.)
    bits: sides.inbound_bits.clamp(9, 15),
    reset: sides.inbound_reset,
  };
  let deflater = Deflater {
    state: None,
    level,
    bits: own_bits.max(9),
    reset: sides.outbound_reset,
  };
  (inflater, deflater)
}

impl Deflater {
  /// One message's payload, compressed (the trailing 00 00 FF FF left off).
  pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
    let (level, bits) = (self.level, self.bits);
    let compress = self
      .state
      .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let start = compress.total_in();
    // Flushed until a call has nothing more to give: a call can return
    // with room left and the flush not complete.
    loop {
      if out.capacity() - out.len() < 64 {
        out.reserve(out.capacity().max(1024));
      }
      let used = (compress.total_in() - start) as usize;
      let before = out.len();
      let outcome = compress.compress_vec(&data[used..], &mut out, FlushCompress::Sync);
      let now_used = (compress.total_in() - start) as usize;
      // With output room, a call that gives nothing has flushed it all (or
      // cannot go on: an error, which a misuse of the stream alone causes).
      if outcome.is_err() || (now_used == used && out.len() == before) {
        break;
      }
    }
    if out.ends_with(&TAIL) {
      out.truncate(out.len() - TAIL.len());
    }
    if out.is_empty() {
      // Nothing was pending (an empty message after a flush): an empty
      // stored block, as RFC 7692 §7.2.3.6 has it. An empty payload would
      // leave the peer's decompressor inside a block header.
      out.push(0x00);
    }
    if self.reset {
      self.state = None;
    }
    out
  }
}

impl Inflater {
  /// One message's payload, inflated: never more than `limit` bytes are
  /// kept, so a small message that inflates without end (a deflate bomb)
  /// costs at most `limit`.
  pub fn decompress(&mut self, data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    if data.is_empty() {
      // Nothing was compressed: the tail alone would start a block.
      return Ok(Vec::new());
    }
    let cap = limit.saturating_add(1);
    let mut out = Vec::with_capacity(data.len().saturating_mul(3).max(256).min(cap));
    // The payload, then the tail it was sent without, fed in turn (not
    // copied together: a message may be 32 MiB).
    let input = [data, &TAIL[..]];
    let total = data.len() + TAIL.len();
    let bits = self.bits;
    let decompress = self
      .state
      .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
    let start = decompress.total_in();
    let outcome = loop {
      let used = (decompress.total_in() - start) as usize;
      let rest = if used < data.len() {
        &input[0][used..]
      } else {
        &input[1][used - data.len()..]
      };
      if out.len() == out.capacity() {
        if out.len() >= cap {
          break Err(InflateError::TooLarge(out.len()));
        }
        let want = out.capacity().saturating_mul(2).min(cap);
        out.reserve_exact(want - out.len());
      }
      let before = (used, out.len());
      match decompress.decompress_vec(rest, &mut out, FlushDecompress::Sync) {
        Err(e) => break Err(InflateError::Invalid(e.to_string())),
        // A final block ends the stream: the next message starts anew
        // (below).
        Ok(Status::StreamEnd) if out.len() > limit => break Err(InflateError::TooLarge(out.len())),
        Ok(Status::StreamEnd) => break Ok(true),
        Ok(_) => {}
      }
      let used = (decompress.total_in() - start) as usize;
      if out.len() > limit {
        break Err(InflateError::TooLarge(out.len()));
      }
      let room_left = out.len() < out.capacity();
      // Done when output room is left over and the input is used up (or
      // no progress is possible: a stream cut short, ended by the tail).
      if room_left && (used == total || (used, out.len()) == before) {
        break Ok(false);
      }
    };
    if outcome != Ok(false) || self.reset {
      self.state = None;
    }
    outcome.map(|_| out)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn agreed(offer: &str) -> Option<String> {
    accept_offer([offer], None).map(|a| a.header())
  }

  fn agreed_with(offer: &str, worker: &str) -> Option<String> {
    accept_offer([offer], Some(worker)).map(|a| a.header())
  }

  // Each case as workerd 2026-11-17 answered it (/tmp/deflate-lab/q1).
  #[test]
  fn the_first_valid_offer_is_taken_as_workerd_takes_it() {
    for (offer, answer) in [
      ("permessage-deflate", Some("permessage-deflate")),
      ("permessage-deflate; client_max_window_bits", Some("permessage-deflate; client_max_window_bits=15")),
      ("permessage-deflate; server_max_window_bits=8", Some("permessage-deflate; server_max_window_bits=8")),
      ("permessage-deflate; server_max_window_bits=010", Some("permessage-deflate; server_max_window_bits=10")),
      ("permessage-deflate; server_max_window_bits=7, permessage-deflate", Some("permessage-deflate")),
      ("foo, permessage-deflate", Some("permessage-deflate")),
      ("permessage-deflate,", Some("permessage-deflate")),
      ("  permessage-deflate  ;  client_max_window_bits = 11 ", Some("permessage-deflate; client_max_window_bits=11")),
      (
        "permessage-deflate; client_max_window_bits; server_max_window_bits=12; client_no_context_takeover; server_no_context_takeover",
        Some("permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits=15; server_max_window_bits=12"),
      ),
      ("permessage-deflate; unknown_param", None),
      ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", None),
      ("permessage-deflate; server_max_window_bits=16", None),
      ("permessage-deflate; server_max_window_bits", None),
      ("x-webkit-deflate-frame", None),
      ("Permessage-Deflate", None),
      ("permessage-deflate; Server_No_Context_Takeover", None),
      ("permessage-deflate; client_max_window_bits=\"10\"", None),
      ("permessage-deflate; client_no_context_takeover=1", None),
      ("permessage-deflate; client_max_window_bits=", None),
      ("permessage-deflate; a; b; c; d; e", None),
      ("", None),
    ] {
      assert_eq!(agreed(offer).as_deref(), answer, "{offer}");
    }
  }

  #[test]
  fn a_worker_s_header_narrows_what_is_agreed() {
    for (offer, worker, answer) in [
      (
        "permessage-deflate",
        "permessage-deflate; server_no_context_takeover",
        Some("permessage-deflate; server_no_context_takeover"),
      ),
      (
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits=10",
        Some("permessage-deflate"),
      ),
      (
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; client_max_window_bits=10",
        Some("permessage-deflate; client_max_window_bits=10"),
      ),
      (
        "permessage-deflate; server_max_window_bits=12",
        "permessage-deflate; server_max_window_bits=10",
        Some("permessage-deflate; server_max_window_bits=10"),
      ),
      (
        "permessage-deflate; server_max_window_bits=12",
        "permessage-deflate; server_no_context_takeover",
        None,
      ),
      (
        "permessage-deflate; client_no_context_takeover",
        "permessage-deflate; client_max_window_bits=10",
        Some("permessage-deflate"),
      ),
      ("permessage-deflate", "garbage", None),
      ("permessage-deflate", "", Some("permessage-deflate")),
    ] {
      assert_eq!(
        agreed_with(offer, worker).as_deref(),
        answer,
        "{offer} / {worker}"
      );
    }
  }

  #[test]
  fn an_answer_is_read_as_workerd_reads_it() {
    let read =
      |offer: Option<&str>, answer: &str| read_answer(offer, answer).map(|a| a.map(|a| a.header()));
    assert_eq!(read(Some(CLIENT_OFFER), ""), Ok(None));
    assert_eq!(
      read(
        Some(CLIENT_OFFER),
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
      ),
      Ok(Some(
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=10".into()
      ))
    );
    assert_eq!(
      read(
        Some("permessage-deflate; client_no_context_takeover"),
        "permessage-deflate"
      ),
      Ok(Some(
        "permessage-deflate; client_no_context_takeover".into()
      ))
    );
    let refused = |offer, answer| read(offer, answer).unwrap_err();
    assert!(refused(Some(CLIENT_OFFER), "foo").ends_with("that was not permessage-deflate."));
    assert!(
      refused(Some(CLIENT_OFFER), "permessage-deflate, permessage-deflate")
        .contains("more than one")
    );
    assert!(refused(Some(CLIENT_OFFER), "permessage-deflate; bogus")
      .ends_with("included an invalid value."));
    assert!(refused(
      Some(CLIENT_OFFER),
      "permessage-deflate; client_max_window_bits=7"
    )
    .ends_with("invalid value."));
    // An answer must give the client's window a value.
    assert!(refused(
      Some("permessage-deflate; client_max_window_bits"),
      "permessage-deflate; client_max_window_bits"
    )
    .ends_with("invalid value."));
    assert!(refused(None, "permessage-deflate").ends_with("when client did not offer any."));
    assert_eq!(
      normalize_offer("foo, permessage-deflate; client_max_window_bits, permessage-deflate; server_no_context_takeover").as_deref(),
      Some("permessage-deflate; client_max_window_bits=15, permessage-deflate; server_no_context_takeover")
    );
    assert_eq!(normalize_offer("x-webkit-deflate-frame"), None);
  }

  /// Both sides of a connection: (inflater, deflater) of the server, then
  /// of the client.
  type Side = (Inflater, Deflater);

  fn pair(agreement: &Agreement) -> (Side, Side) {
    (
      codecs(agreement, Role::Server),
      codecs(agreement, Role::Client),
    )
  }

  #[test]
  fn messages_round_trip_with_and_without_context_takeover() {
    for offer in [
      "permessage-deflate",
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
      "permessage-deflate; server_max_window_bits=8; client_max_window_bits=9",
    ] {
      let agreement = accept_offer([offer], None).unwrap();
      let ((mut server_in, mut server_out), (mut client_in, mut client_out)) = pair(&agreement);
      let text: String = (0..2000)
        .map(|i| format!("{} ", i * 7919 % 10007))
        .collect();
      let mut sizes = Vec::new();
      for message in [text.as_bytes(), b"", text.as_bytes(), &[7u8; 100_000][..]] {
        let wire = server_out.compress(message);
        sizes.push(wire.len());
        assert_eq!(
          client_in.decompress(&wire, 1 << 20).unwrap(),
          message,
          "{offer}"
        );
        let wire = client_out.compress(message);
        assert_eq!(
          server_in.decompress(&wire, 1 << 20).unwrap(),
          message,
          "{offer}"
        );
      }
      // With the context kept, a repeated message costs a few bytes; not
      // when it is dropped, nor when the 512-byte window cannot reach it.
      if agreement.server_no_context_takeover || agreement.server_max_window_bits.is_some() {
        assert!(sizes[2] + 2 >= sizes[0], "{offer}: {sizes:?}");
      } else {
        assert!(sizes[2] < sizes[0] / 10, "{offer}: {sizes:?}");
      }
    }
  }

  #[test]
  fn a_deflate_bomb_stops_at_the_limit() {
    let agreement = accept_offer(["permessage-deflate"], None).unwrap();
    let ((mut server_in, _), (_, mut client_out)) = pair(&agreement);
    let bomb = client_out.compress(&vec![0u8; 8 << 20]);
    assert!(bomb.len() < 16 << 10, "{}", bomb.len());
    assert_eq!(
      server_in.decompress(&bomb, 1 << 20),
      Err(InflateError::TooLarge((1 << 20) + 1))
    );
    assert!(matches!(
      server_in.decompress(&[0xff, 0xff, 0xff, 0xff], 1 << 20),
      Err(InflateError::Invalid(_))
    ));
    // The decompressor starts over after an error.
    let fresh = codecs(&agreement, Role::Client).1.compress(b"after");
    assert_eq!(server_in.decompress(&fresh, 1 << 20).unwrap(), b"after");
  }
}
