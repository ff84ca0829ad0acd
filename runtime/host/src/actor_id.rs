//! Durable Object ids, derived the way workerd derives them so that ids (and therefore the
//! on-disk file names) are the same under kiln, workerd and Miniflare for the same `uniqueKey`.
//!
//! An id is 32 bytes: 16 bytes that identify the object (a name's MAC or random bytes) followed by
//! the first 16 bytes of the namespace MAC of those 16 bytes. The second half lets
//! `idFromString` reject ids minted for another namespace without any lookup.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Length of an id in bytes; its text form is twice as many hex digits.
pub const ID_LEN: usize = 32;

/// The key a namespace's ids derive from, as wrangler dev names it:
/// `<worker>-<Class>`. It also names the namespace's state folder.
pub fn namespace_key(worker: &str, class_name: &str) -> String {
  format!("{worker}-{class_name}")
}

/// The per-namespace secret: SHA-256 of the namespace's `uniqueKey` (Miniflare uses
/// `<worker>-<Class>`).
#[derive(Clone, PartialEq, Eq)]
pub struct NamespaceKey([u8; 32]);

impl NamespaceKey {
  pub fn new(unique_key: &str) -> Self {
    NamespaceKey(Sha256::digest(unique_key.as_bytes()).into())
  }

  pub fn as_bytes(&self) -> &[u8; 32] {
    &self.0
  }

  fn mac_prefix(&self, data: &[u8]) -> [u8; 16] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
    mac.update(data);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
  }

  fn seal(&self, first_half: [u8; 16]) -> [u8; ID_LEN] {
    let mut id = [0u8; ID_LEN];
    id[..16].copy_from_slice(&first_half);
    id[16..].copy_from_slice(&self.mac_prefix(&first_half));
    id
  }
}

impl fmt::Debug for NamespaceKey {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // The key is what makes ids unforgeable, so keep it out of logs.
    f.write_str("NamespaceKey(..)")
  }
}

/// Why `idFromString` refused its argument; `message()` is the exact text of the TypeError
/// workerd throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
  /// Not exactly 64 hex digits.
  InvalidFormat,
  /// Well-formed, but minted for another namespace.
  WrongNamespace,
}

impl IdError {
  pub fn message(&self) -> &'static str {
    match self {
      IdError::InvalidFormat => "Invalid Durable Object ID: must be 64 hex digits",
      IdError::WrongNamespace => "Durable Object ID is not valid for this namespace.",
    }
  }
}

impl fmt::Display for IdError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(self.message())
  }
}

impl std::error::Error for IdError {}

/// `idFromName(name)`: deterministic, so the same name always reaches the same object.
pub fn id_from_name(key: &NamespaceKey, name: &str) -> [u8; ID_LEN] {
  key.seal(key.mac_prefix(name.as_bytes()))
}

/// `newUniqueId()`.
///
/// Panics if the operating system cannot supply random bytes: handing out a predictable id
/// instead would silently break uniqueness.
pub fn new_unique_id(key: &NamespaceKey) -> [u8; ID_LEN] {
  let mut first_half = [0u8; 16];
  getrandom::fill(&mut first_half).expect("the OS random number generator failed");
  key.seal(first_half)
}

/// `idFromString(text)`: accepts either letter case.
pub fn parse(key: &NamespaceKey, text: &str) -> Result<[u8; ID_LEN], IdError> {
  let bytes = text.as_bytes();
  if bytes.len() != ID_LEN * 2 {
    return Err(IdError::InvalidFormat);
  }
  let mut id = [0u8; ID_LEN];
  for (i, pair) in bytes.chunks_exact(2).enumerate() {
    let hi = hex_value(pair[0]).ok_or(IdError::InvalidFormat)?;
    let lo = hex_value(pair[1]).ok_or(IdError::InvalidFormat)?;
    id[i] = (hi << 4) | lo;
  }
  let mut first_half = [0u8; 16];
  first_half.copy_from_slice(&id[..16]);
  if key.seal(first_half) != id {
    return Err(IdError::WrongNamespace);
  }
  Ok(id)
}

/// Lowercase hex, the form of `id.toString()` and of the object's file name.
pub fn to_hex(id: &[u8; ID_LEN]) -> String {
  const DIGITS: &[u8; 16] = b"0123456789abcdef";
  let mut out = String::with_capacity(ID_LEN * 2);
  for byte in id {
    out.push(DIGITS[(byte >> 4) as usize] as char);
    out.push(DIGITS[(byte & 0xf) as usize] as char);
  }
  out
}

fn hex_value(c: u8) -> Option<u8> {
  match c {
    b'0'..=b'9' => Some(c - b'0'),
    b'a'..=b'f' => Some(c - b'a' + 10),
    b'A'..=b'F' => Some(c - b'A' + 10),
    _ => None,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  const VECTOR: &str = "8d8d52167eba73e7f0268ab71258e747f36d3bda25975c74ec438beeadb76dd6";

  #[test]
  fn id_from_name_matches_the_spec_test_vector() {
    let key = NamespaceKey::new("my-worker-Counter");
    assert_eq!(to_hex(&id_from_name(&key, "foo")), VECTOR);
  }

  #[test]
  fn id_from_name_is_deterministic_and_name_sensitive() {
    let key = NamespaceKey::new("my-worker-Counter");
    assert_eq!(id_from_name(&key, "bar"), id_from_name(&key, "bar"));
    assert_ne!(id_from_name(&key, "bar"), id_from_name(&key, "baz"));
    let other = NamespaceKey::new("my-worker-Other");
    assert_ne!(id_from_name(&key, "bar"), id_from_name(&other, "bar"));
  }

  #[test]
  fn parse_round_trips_in_either_case() {
    let key = NamespaceKey::new("my-worker-Counter");
    let id = parse(&key, VECTOR).unwrap();
    assert_eq!(to_hex(&id), VECTOR);
    assert_eq!(parse(&key, &VECTOR.to_uppercase()).unwrap(), id);
  }

  #[test]
  fn unique_ids_are_distinct_and_valid_for_their_namespace() {
    let key = NamespaceKey::new("ns");
    let a = new_unique_id(&key);
    let b = new_unique_id(&key);
    assert_ne!(a, b);
    assert_eq!(parse(&key, &to_hex(&a)).unwrap(), a);
    assert_eq!(
      parse(&NamespaceKey::new("other"), &to_hex(&a)),
      Err(IdError::WrongNamespace)
    );
  }

  #[test]
  fn malformed_ids_give_the_format_message() {
    let key = NamespaceKey::new("my-worker-Counter");
    for bad in [
      "",
      "abc",
      &VECTOR[..63],
      &format!("{VECTOR}0"),
      &format!("g{}", &VECTOR[1..]),
    ] {
      let err = parse(&key, bad).unwrap_err();
      assert_eq!(err, IdError::InvalidFormat, "{bad:?}");
      assert_eq!(
        err.to_string(),
        "Invalid Durable Object ID: must be 64 hex digits"
      );
    }
    // 64 bytes, but "é" is not a hex digit.
    assert_eq!(
      parse(&key, &format!("é{}", &VECTOR[2..])),
      Err(IdError::InvalidFormat)
    );
  }

  #[test]
  fn a_tampered_mac_gives_the_namespace_message() {
    let key = NamespaceKey::new("my-worker-Counter");
    let mut tampered = VECTOR.to_string();
    tampered.replace_range(63..64, "7");
    let err = parse(&key, &tampered).unwrap_err();
    assert_eq!(err, IdError::WrongNamespace);
    assert_eq!(
      err.message(),
      "Durable Object ID is not valid for this namespace."
    );
  }
}
