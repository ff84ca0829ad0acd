//! R2 (`env.BUCKET.get/put/list/…`), the Rust side of js/r2.js: each
//! bucket's [`R2Bucket`] (runtime/host/src/r2_store.rs), opened on first use.
//! A failure R2 itself reports reaches JavaScript as an `Error` whose message
//! is R2's text and code (`The specified multipart upload does not exist.
//! (10024)`); js/r2.js prefixes the operation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use deno_core::{op2, OpState, ToJsBuffer};
use deno_error::JsErrorBox;
use kiln_host::r2_store::{Listing, ObjectRow, R2Bucket, R2Error};

/// The worker's buckets, by bucket name; put in the op state by the
/// extension.
pub struct R2Buckets {
  state_dir: Option<PathBuf>,
  open: RefCell<HashMap<String, Rc<RefCell<R2Bucket>>>>,
}

impl R2Buckets {
  pub fn new(state_dir: Option<PathBuf>) -> R2Buckets {
    R2Buckets {
      state_dir,
      open: RefCell::new(HashMap::new()),
    }
  }
}

fn bucket(state: &OpState, name: &str) -> Result<Rc<RefCell<R2Bucket>>, JsErrorBox> {
  let buckets = state.borrow::<R2Buckets>();
  if let Some(bucket) = buckets.open.borrow().get(name) {
    return Ok(bucket.clone());
  }
  let bucket = R2Bucket::open(buckets.state_dir.as_deref(), name)
    .map(|b| Rc::new(RefCell::new(b)))
    .map_err(|e| JsErrorBox::generic(format!("R2 bucket {name:?} cannot be opened: {e}")))?;
  buckets
    .open
    .borrow_mut()
    .insert(name.to_string(), bucket.clone());
  Ok(bucket)
}

fn r2_error(e: R2Error) -> JsErrorBox {
  let (message, code) = match e {
    R2Error::NoSuchUpload => (
      "The specified multipart upload does not exist.".into(),
      10024,
    ),
    R2Error::InvalidPart => (
      "One or more of the specified parts could not be found.".into(),
      10025,
    ),
    R2Error::EntityTooSmall => (
      "Your proposed upload is smaller than the minimum allowed object size.".into(),
      10011,
    ),
    R2Error::BadUpload => (
      "There was a problem with the multipart upload.".into(),
      10048,
    ),
    R2Error::Internal => (
      "We encountered an internal error. Please try again.".into(),
      10001,
    ),
    R2Error::BadDigest {
      algorithm,
      provided,
      actual,
    } => {
      let name = match algorithm {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        _ => "SHA-512",
      };
      (
        format!(
          "The {name} checksum you specified did not match what we received.\nYou provided a {name} checksum with value: {provided}\nActual {name} was: {actual}"
        ),
        10037,
      )
    }
    // Not one of R2's own failures: the storage under it failed.
    R2Error::Storage(message) => {
      return JsErrorBox::generic(format!("R2 storage error: {message}"))
    }
  };
  JsErrorBox::generic(format!("{message} ({code})"))
}

#[op2]
#[serde]
pub fn op_r2_head(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
) -> Result<Option<ObjectRow>, JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .head(key)
    .map_err(r2_error)
}

/// `length` bytes of `key`'s value from `offset`, or null when the key is
/// gone.
#[op2]
#[serde]
pub fn op_r2_read(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
  offset: f64,
  length: f64,
) -> Result<Option<ToJsBuffer>, JsErrorBox> {
  let bucket = bucket(state, bucket_name)?;
  let mut bucket = bucket.borrow_mut();
  let Some(row) = bucket.head(key).map_err(r2_error)? else {
    return Ok(None);
  };
  let bytes = bucket
    .read(&row, offset as u64, length as u64)
    .map_err(r2_error)?;
  Ok(Some(bytes.into()))
}

/// Stores `value`; `checksums` are `[algorithm, hex]` pairs to verify.
#[op2]
#[serde]
pub fn op_r2_put(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
  #[anybuffer] value: &[u8],
  #[string] http_metadata: &str,
  #[string] custom_metadata: &str,
  #[serde] checksums: Vec<(String, String)>,
) -> Result<ObjectRow, JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .put(key, value, http_metadata, custom_metadata, &checksums)
    .map_err(r2_error)
}

#[op2]
pub fn op_r2_delete(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[serde] keys: Vec<String>,
) -> Result<(), JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .delete(&keys)
    .map_err(r2_error)
}

/// A page of keys with `prefix` after `start_after` (empty: from the start).
#[op2]
#[serde]
pub fn op_r2_list(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] prefix: &str,
  #[string] start_after: &str,
  #[smi] limit: u32,
  #[string] delimiter: &str,
) -> Result<Listing, JsErrorBox> {
  let start_after = (!start_after.is_empty()).then_some(start_after);
  let delimiter = (!delimiter.is_empty()).then_some(delimiter);
  bucket(state, bucket_name)?
    .borrow_mut()
    .list(prefix, start_after, limit as usize, delimiter)
    .map_err(r2_error)
}

#[op2]
#[string]
pub fn op_r2_create_upload(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
  #[string] http_metadata: &str,
  #[string] custom_metadata: &str,
) -> Result<String, JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .create_upload(key, http_metadata, custom_metadata)
    .map_err(r2_error)
}

#[op2]
#[string]
pub fn op_r2_upload_part(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
  #[string] upload_id: &str,
  #[smi] part_number: u32,
  #[anybuffer] value: &[u8],
) -> Result<String, JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .upload_part(key, upload_id, part_number, value)
    .map_err(r2_error)
}

/// Completes an upload from `(partNumber, etag)` pairs.
#[op2]
#[serde]
pub fn op_r2_complete_upload(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
  #[string] upload_id: &str,
  #[serde] parts: Vec<(u32, String)>,
) -> Result<ObjectRow, JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .complete_upload(key, upload_id, &parts)
    .map_err(r2_error)
}

#[op2(fast)]
pub fn op_r2_abort_upload(
  state: &mut OpState,
  #[string] bucket_name: &str,
  #[string] key: &str,
  #[string] upload_id: &str,
) -> Result<(), JsErrorBox> {
  bucket(state, bucket_name)?
    .borrow_mut()
    .abort_upload(key, upload_id)
    .map_err(r2_error)
}
