//! The tests' side of permessage-deflate (the client's, or the backend's),
//! written straight on flate2, not on kiln's own code: it compresses what a
//! test sends with the window and context rules its side agreed to, and
//! inflates what kiln sends; [`farthest_reference`] tells whether kiln kept
//! to the window it agreed to.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// The bytes a sync flush ends with, left off on the wire (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

pub struct Deflate {
  compress: Compress,
  decompress: Decompress,
  /// This side resets its compressor after each message.
  own_no_context_takeover: bool,
  /// The other side does: so is this side's decompressor.
  peer_no_context_takeover: bool,
}

impl Deflate {
  /// The windows are each side's `*_max_window_bits` (9 to 15 for this
  /// side's own; 8 to 15 for the other's); for a client, `own` is `client_*`.
  pub fn new(
    own_window: u8,
    peer_window: u8,
    own_no_context_takeover: bool,
    peer_no_context_takeover: bool,
  ) -> Deflate {
    Deflate {
      compress: Compress::new_with_window_bits(Compression::default(), false, own_window),
      // flate2 inflates with 9 to 15 bits: an 8-bit agreement is checked
      // against a 512-byte window.
      decompress: Decompress::new_with_window_bits(false, peer_window.max(9)),
      own_no_context_takeover,
      peer_no_context_takeover,
    }
  }

  /// The same, compressing at zlib level `level` (kiln uses the default,
  /// 6): what it sends then differs from what kiln would make of it.
  pub fn with_level(mut self, own_window: u8, level: u32) -> Deflate {
    self.compress = Compress::new_with_window_bits(Compression::new(level), false, own_window);
    self
  }

  /// The defaults: 15-bit windows, contexts kept.
  pub fn default_params() -> Deflate {
    Deflate::new(15, 15, false, false)
  }

  pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let start = self.compress.total_in();
    loop {
      if out.capacity() - out.len() < 64 {
        out.reserve(out.capacity().max(1024));
      }
      let used = (self.compress.total_in() - start) as usize;
      let before = out.len();
      self
        .compress
        .compress_vec(&data[used..], &mut out, FlushCompress::Sync)
        .expect("compress");
      let now = (self.compress.total_in() - start) as usize;
      if now == data.len() && now == used && out.len() == before {
        break;
      }
    }
    assert!(out.ends_with(&TAIL), "a sync flush ends with 00 00 ff ff");
    out.truncate(out.len() - TAIL.len());
    if out.is_empty() {
      out.push(0);
    }
    if self.own_no_context_takeover {
      self.compress.reset();
    }
    out
  }

  /// One message from kiln, inflated; an error names what flate2 refused.
  /// Inflated 64 bytes at a time: zlib checks a reference against the
  /// window only when it reaches past the output of the current call, so a
  /// large output buffer would let a too-large window go unnoticed.
  pub fn decompress(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut input = data.to_vec();
    input.extend_from_slice(&TAIL);
    let mut out = Vec::with_capacity(data.len() * 4 + 64);
    let mut piece = Vec::with_capacity(64);
    let start = self.decompress.total_in();
    loop {
      let used = (self.decompress.total_in() - start) as usize;
      piece.clear();
      self
        .decompress
        .decompress_vec(&input[used..], &mut piece, FlushDecompress::Sync)
        .map_err(|e| e.to_string())?;
      out.extend_from_slice(&piece);
      let now = (self.decompress.total_in() - start) as usize;
      if now == input.len() && piece.is_empty() {
        break;
      }
      if now == used && piece.is_empty() {
        return Err(format!("stuck after {now} of {} bytes", input.len()));
      }
    }
    if self.peer_no_context_takeover {
      self.decompress.reset(false);
    }
    Ok(out)
  }
}

/// The farthest back any match of one message's compressed `payload` (as
/// sent: the 00 00 ff ff tail left off) refers, in bytes: what the sender's
/// window must have held. Read here block by block, because zlib's own
/// inflater does not hold a stream to a window smaller than the one it
/// allocates. Every message ends on a byte boundary (a sync flush), so each
/// can be read on its own.
pub fn farthest_reference(payload: &[u8]) -> Result<usize, String> {
  let mut data = payload.to_vec();
  data.extend_from_slice(&TAIL);
  let mut bits = Bits { data: &data, at: 0 };
  let mut farthest = 0;
  while bits.at < data.len() * 8 {
    // Only the tail's stored block can remain when fewer than a header's
    // bits are left.
    let _final = bits.take(1)?;
    match bits.take(2)? {
      0 => {
        bits.at = bits.at.div_ceil(8) * 8;
        let len = bits.take(16)?;
        let nlen = bits.take(16)?;
        if len != !nlen & 0xffff {
          return Err("a stored block's LEN and NLEN do not match".into());
        }
        bits.at += len * 8;
      }
      kind @ (1 | 2) => {
        let (lit, dist) = if kind == 1 {
          fixed_codes()
        } else {
          dynamic_codes(&mut bits)?
        };
        loop {
          let symbol = lit.decode(&mut bits)?;
          match symbol {
            0..=255 => {}
            256 => break,
            257..=285 => {
              let (_, extra) = LENGTHS[symbol - 257];
              bits.take(extra)?;
              let code = dist.decode(&mut bits)?;
              let &(base, extra) = DISTANCES.get(code).ok_or("a bad distance code")?;
              farthest = farthest.max(base + bits.take(extra)?);
            }
            _ => return Err(format!("a bad literal/length code {symbol}")),
          }
        }
      }
      _ => return Err("block type 3".into()),
    }
  }
  Ok(farthest)
}

struct Bits<'a> {
  data: &'a [u8],
  at: usize,
}

impl Bits<'_> {
  fn take(&mut self, n: usize) -> Result<usize, String> {
    let mut value = 0;
    for i in 0..n {
      let byte = *self
        .data
        .get(self.at / 8)
        .ok_or("the stream ends inside a block")?;
      value |= usize::from((byte >> (self.at % 8)) & 1) << i;
      self.at += 1;
    }
    Ok(value)
  }
}

/// A canonical Huffman code: how many codes of each length, and the
/// symbols in code order (decoded as zlib's `puff` does).
struct Code {
  counts: [usize; 16],
  symbols: Vec<usize>,
}

impl Code {
  fn new(lengths: &[usize]) -> Code {
    let mut counts = [0; 16];
    for &len in lengths {
      counts[len] += 1;
    }
    counts[0] = 0;
    let mut symbols = Vec::with_capacity(lengths.len());
    for len in 1..16 {
      symbols.extend((0..lengths.len()).filter(|&s| lengths[s] == len));
    }
    Code { counts, symbols }
  }

  fn decode(&self, bits: &mut Bits) -> Result<usize, String> {
    let (mut code, mut first, mut index) = (0, 0, 0);
    for len in 1..16 {
      code |= bits.take(1)?;
      let count = self.counts[len];
      if code < first + count {
        return Ok(self.symbols[index + code - first]);
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    Err("no Huffman code matches".into())
  }
}

fn fixed_codes() -> (Code, Code) {
  let mut lit = vec![8; 144];
  lit.extend([9; 112]);
  lit.extend([7; 24]);
  lit.extend([8; 8]);
  (Code::new(&lit), Code::new(&[5; 30]))
}

fn dynamic_codes(bits: &mut Bits) -> Result<(Code, Code), String> {
  const ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
  ];
  let hlit = bits.take(5)? + 257;
  let hdist = bits.take(5)? + 1;
  let hclen = bits.take(4)? + 4;
  let mut cl = [0; 19];
  for &i in &ORDER[..hclen] {
    cl[i] = bits.take(3)?;
  }
  let cl = Code::new(&cl);
  let mut lengths = Vec::with_capacity(hlit + hdist);
  while lengths.len() < hlit + hdist {
    match cl.decode(bits)? {
      len @ 0..=15 => lengths.push(len),
      16 => {
        let last = *lengths.last().ok_or("a repeat with nothing before it")?;
        let n = 3 + bits.take(2)?;
        lengths.extend(std::iter::repeat_n(last, n));
      }
      17 => {
        let n = 3 + bits.take(3)?;
        lengths.extend(std::iter::repeat_n(0, n));
      }
      _ => {
        let n = 11 + bits.take(7)?;
        lengths.extend(std::iter::repeat_n(0, n));
      }
    }
  }
  Ok((Code::new(&lengths[..hlit]), Code::new(&lengths[hlit..])))
}

/// (base, extra bits) of length codes 257-285 and distance codes 0-29.
const LENGTHS: [(usize, usize); 29] = [
  (3, 0),
  (4, 0),
  (5, 0),
  (6, 0),
  (7, 0),
  (8, 0),
  (9, 0),
  (10, 0),
  (11, 1),
  (13, 1),
  (15, 1),
  (17, 1),
  (19, 2),
  (23, 2),
  (27, 2),
  (31, 2),
  (35, 3),
  (43, 3),
  (51, 3),
  (59, 3),
  (67, 4),
  (83, 4),
  (99, 4),
  (115, 4),
  (131, 5),
  (163, 5),
  (195, 5),
  (227, 5),
  (258, 0),
];
const DISTANCES: [(usize, usize); 30] = [
  (1, 0),
  (2, 0),
  (3, 0),
  (4, 0),
  (5, 1),
  (7, 1),
  (9, 2),
  (13, 2),
  (17, 3),
  (25, 3),
  (33, 4),
  (49, 4),
  (65, 5),
  (97, 5),
  (129, 6),
  (193, 6),
  (257, 7),
  (385, 7),
  (513, 8),
  (769, 8),
  (1025, 9),
  (1537, 9),
  (2049, 10),
  (3073, 10),
  (4097, 11),
  (6145, 11),
  (8193, 12),
  (12289, 12),
  (16385, 13),
  (24577, 13),
];

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn the_farthest_reference_is_found() {
    let noise: Vec<u8> = (0u32..2048)
      .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
      .collect();
    let twice = [&noise[..], &noise[..]].concat();
    for (window, expect_far) in [(15u8, true), (10, false), (9, false)] {
      let mut client = Deflate::new(window, 15, false, false);
      let wire = client.compress(&twice);
      let farthest = farthest_reference(&wire).unwrap();
      assert!(farthest <= 1 << window, "{window}: {farthest}");
      assert_eq!(farthest >= 2048, expect_far, "{window}: {farthest}");
      let mut server = Deflate::new(15, 15, false, false);
      assert_eq!(server.decompress(&wire).unwrap(), twice);
    }
    assert_eq!(farthest_reference(&[0x00]).unwrap(), 0);
  }
}
