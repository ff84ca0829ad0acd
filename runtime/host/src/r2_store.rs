//! R2 buckets (`r2_buckets`), stored as wrangler dev stores them, so that a
//! bucket written by one is read by the other: each bucket's index is a
//! Durable-Object-style SQLite file (the format `storage/` writes) at
//! `<state>/v3/r2/miniflare-R2BucketObject/<object id>.sqlite`, the id
//! derived from the bucket name, with the tables `_mf_objects`,
//! `_mf_multipart_uploads` and `_mf_multipart_parts`; each object's bytes
//! are a file `<state>/v3/r2/<bucket>/blobs/<blob id>` (a multipart object
//! keeps one file per part).
//!
//! This layer stores, reads and lists, and checks what needs the stored
//! state (digests, multipart rules); the API's shape, its other checks and
//! its error texts are in js/r2.js.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use md5::Digest;
use serde::Serialize;

use crate::actor_id::{self, NamespaceKey};
use crate::storage::{ObjectStorage, SqlValue, StorageError};

/// The namespace key of wrangler dev's bucket object.
pub const NAMESPACE_KEY: &str = "miniflare-R2BucketObject";

/// A part of a multipart upload must be at least this big (the last one
/// excepted).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS _mf_objects (
    key TEXT PRIMARY KEY,
    blob_id TEXT,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS _mf_multipart_uploads (
    upload_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    state TINYINT DEFAULT 0 NOT NULL
);
CREATE TABLE IF NOT EXISTS _mf_multipart_parts (
    upload_id TEXT NOT NULL REFERENCES _mf_multipart_uploads(upload_id),
    part_number INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    checksum_md5 TEXT NOT NULL,
    object_key TEXT REFERENCES _mf_objects(key) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (upload_id, part_number)
);";

const IN_PROGRESS: i64 = 0;
const COMPLETED: i64 = 1;
const ABORTED: i64 = 2;

/// One stored object's metadata, as js/r2.js receives it (the JSON columns
/// as their text).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRow {
  pub key: String,
  #[serde(skip)]
  blob_id: Option<String>,
  pub version: String,
  pub size: f64,
  pub etag: String,
  /// Milliseconds since the epoch.
  pub uploaded: f64,
  /// JSON: `{sha1: hex, …}` (md5 is the etag, unless multipart).
  pub checksums: String,
  pub http_metadata: String,
  pub custom_metadata: String,
}

/// One page of a list().
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
  pub objects: Vec<ObjectRow>,
  pub delimited_prefixes: Vec<String>,
  /// The key to continue after, when more follow.
  pub next_after: Option<String>,
}

/// What can go wrong beyond a plain storage failure, named as js/r2.js
/// reports them.
#[derive(Debug, PartialEq)]
pub enum R2Error {
  NoSuchUpload,
  InvalidPart,
  EntityTooSmall,
  BadUpload,
  Internal,
  BadDigest {
    algorithm: &'static str,
    provided: String,
    actual: String,
  },
  Storage(String),
}

impl From<StorageError> for R2Error {
  fn from(e: StorageError) -> Self {
    R2Error::Storage(e.message)
  }
}

impl From<std::io::Error> for R2Error {
  fn from(e: std::io::Error) -> Self {
    R2Error::Storage(e.to_string())
  }
}

/// Where blobs live: files, or memory for a bucket that is not persisted.
enum Blobs {
  Files(PathBuf),
  Memory(HashMap<String, Vec<u8>>),
}

pub struct R2Bucket {
  storage: ObjectStorage,
  blobs: Blobs,
}

/// The digests put() may be asked to check, by their wrangler field name.
pub const ALGORITHMS: [&str; 5] = ["md5", "sha1", "sha256", "sha384", "sha512"];

fn digest(algorithm: &str, bytes: &[u8]) -> String {
  fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
  }
  match algorithm {
    "md5" => hex(&md5::Md5::digest(bytes)),
    "sha1" => hex(&sha1::Sha1::digest(bytes)),
    "sha256" => hex(&sha2::Sha256::digest(bytes)),
    "sha384" => hex(&sha2::Sha384::digest(bytes)),
    _ => hex(&sha2::Sha512::digest(bytes)),
  }
}

fn random_hex(n: usize) -> String {
  let mut bytes = vec![0u8; n];
  getrandom::fill(&mut bytes).unwrap_or_default();
  bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_base64url(n: usize) -> String {
  use base64::Engine;
  let mut bytes = vec![0u8; n];
  getrandom::fill(&mut bytes).unwrap_or_default();
  base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now_ms() -> f64 {
  std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .map_or(0.0, |d| d.as_millis() as f64)
}

/// A blob id as wrangler dev makes them: 32 random bytes and the time, in
/// hex.
fn new_blob_id() -> String {
  let time = (now_ms() as i64).to_be_bytes();
  format!(
    "{}{}",
    random_hex(32),
    time.iter().map(|b| format!("{b:02x}")).collect::<String>()
  )
}

/// wrangler dev's folder name for a bucket's blobs: path-unsafe characters
/// replaced.
fn sanitise(name: &str) -> String {
  let mut out: String = name
    .chars()
    .map(|c| {
      if matches!(c, '/' | '\\' | '?' | '<' | '>' | ':' | '*' | '|' | '"') || c.is_control() {
        '_'
      } else {
        c
      }
    })
    .collect();
  if out.starts_with('.') || out.is_empty() {
    out.insert(0, '_');
  }
  out.chars().take(255).collect()
}

fn text(value: &SqlValue) -> String {
  match value {
    SqlValue::Text(s) => s.clone(),
    SqlValue::Integer(i) => i.to_string(),
    SqlValue::Real(f) => f.to_string(),
    _ => String::new(),
  }
}

fn number(value: &SqlValue) -> f64 {
  match value {
    SqlValue::Integer(i) => *i as f64,
    SqlValue::Real(f) => *f,
    _ => 0.0,
  }
}

const ROW_COLUMNS: &str =
  "key, blob_id, version, size, etag, uploaded, checksums, http_metadata, custom_metadata";

fn object_row(row: &[SqlValue]) -> ObjectRow {
  ObjectRow {
    key: text(&row[0]),
    blob_id: match &row[1] {
      SqlValue::Text(id) => Some(id.clone()),
      _ => None,
    },
    version: text(&row[2]),
    size: number(&row[3]),
    etag: text(&row[4]),
    uploaded: number(&row[5]),
    checksums: text(&row[6]),
    http_metadata: text(&row[7]),
    custom_metadata: text(&row[8]),
  }
}

impl R2Bucket {
  /// Opens (creating) bucket `name` under `state_dir`, or in memory.
  pub fn open(state_dir: Option<&Path>, name: &str) -> Result<R2Bucket, String> {
    let (db, blobs) = match state_dir {
      Some(dir) => {
        let id = actor_id::id_from_name(&NamespaceKey::new(NAMESPACE_KEY), name);
        let r2 = dir.join("v3").join("r2");
        (
          Some(
            r2.join(NAMESPACE_KEY)
              .join(format!("{}.sqlite", actor_id::to_hex(&id))),
          ),
          Blobs::Files(r2.join(sanitise(name)).join("blobs")),
        )
      }
      None => (None, Blobs::Memory(HashMap::new())),
    };
    let mut storage = ObjectStorage::open(db.as_deref(), true).map_err(|e| e.message)?;
    storage
      .share(std::time::Duration::from_secs(5))
      .map_err(|e| e.message)?;
    storage.exec(SCHEMA, []).map_err(|e| e.message)?;
    storage.commit().map_err(|e| e.message)?;
    if let Blobs::Files(dir) = &blobs {
      std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(R2Bucket { storage, blobs })
  }

  fn write_blob(&mut self, bytes: &[u8]) -> Result<String, R2Error> {
    let id = new_blob_id();
    match &mut self.blobs {
      Blobs::Files(dir) => {
        // Written aside and renamed, so that a blob is whole or absent.
        let partial = dir.join(format!("{id}.partial"));
        std::fs::write(&partial, bytes)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, dir.join(&id))?;
      }
      Blobs::Memory(map) => {
        map.insert(id.clone(), bytes.to_vec());
      }
    }
    Ok(id)
  }

  fn read_blob(&self, id: &str, offset: u64, length: u64) -> Result<Vec<u8>, R2Error> {
    let all = match &self.blobs {
      Blobs::Files(dir) => {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(dir.join(id))?;
        file.seek(SeekFrom::Start(offset))?;
        // What the file holds, not what the index says it should.
        let mut out = Vec::new();
        file.take(length).read_to_end(&mut out)?;
        return Ok(out);
      }
      Blobs::Memory(map) => map.get(id).cloned().unwrap_or_default(),
    };
    let start = (offset as usize).min(all.len());
    let end = (start + length as usize).min(all.len());
    Ok(all[start..end].to_vec())
  }

  fn delete_blobs(&mut self, ids: &[String]) {
    for id in ids {
      match &mut self.blobs {
        Blobs::Files(dir) => {
          let _ = std::fs::remove_file(dir.join(id));
        }
        Blobs::Memory(map) => {
          map.remove(id);
        }
      }
    }
  }

  /// Runs `f` in a transaction and commits it.
  fn transaction<T>(
    &mut self,
    f: impl FnOnce(&mut ObjectStorage) -> Result<T, R2Error>,
  ) -> Result<T, R2Error> {
    let result = self.storage.transaction_sync(f).and_then(|value| {
      self.storage.commit()?;
      Ok(value)
    });
    if result.is_err() {
      let _ = self.storage.rollback_implicit();
    }
    result
  }

  pub fn head(&mut self, key: &str) -> Result<Option<ObjectRow>, R2Error> {
    let cursor = self.storage.exec(
      &format!("SELECT {ROW_COLUMNS} FROM _mf_objects WHERE key = ?"),
      [SqlValue::Text(key.to_string())],
    )?;
    Ok(cursor.rows.first().map(|row| object_row(row)))
  }

  /// `length` bytes of `row`'s value from `offset` (a multipart object's
  /// parts joined).
  pub fn read(&mut self, row: &ObjectRow, offset: u64, length: u64) -> Result<Vec<u8>, R2Error> {
    if let Some(blob) = &row.blob_id {
      return self.read_blob(blob, offset, length);
    }
    let parts = self.storage.exec(
      "SELECT blob_id, size FROM _mf_multipart_parts WHERE object_key = ? ORDER BY part_number",
      [SqlValue::Text(row.key.clone())],
    )?;
    let (from, to) = (offset, offset.saturating_add(length));
    let mut out = Vec::new();
    let mut start = 0u64;
    for part in &parts.rows {
      let size = number(&part[1]) as u64;
      let end = start + size;
      if start < to && from < end {
        let lo = from.max(start) - start;
        let hi = to.min(end) - start;
        out.extend(self.read_blob(&text(&part[0]), lo, hi - lo)?);
      }
      start = end;
    }
    Ok(out)
  }

  /// Stores `value` under `key`. `expected` are the digests the caller gave
  /// (hex, by algorithm): a mismatch stores nothing.
  pub fn put(
    &mut self,
    key: &str,
    value: &[u8],
    http_metadata: &str,
    custom_metadata: &str,
    expected: &[(String, String)],
  ) -> Result<ObjectRow, R2Error> {
    let etag = digest("md5", value);
    let mut checksums = serde_json::Map::new();
    for (algorithm, provided) in expected {
      let Some(algorithm) = ALGORITHMS.iter().find(|a| **a == algorithm.as_str()) else {
        continue;
      };
      let actual = digest(algorithm, value);
      if !actual.eq_ignore_ascii_case(provided) {
        return Err(R2Error::BadDigest {
          algorithm,
          provided: provided.to_ascii_lowercase(),
          actual,
        });
      }
      if *algorithm != "md5" {
        checksums.insert(algorithm.to_string(), actual.into());
      }
    }
    let blob = self.write_blob(value)?;
    let row = ObjectRow {
      key: key.to_string(),
      blob_id: Some(blob.clone()),
      version: random_hex(16),
      size: value.len() as f64,
      etag,
      uploaded: now_ms(),
      checksums: serde_json::Value::Object(checksums).to_string(),
      http_metadata: http_metadata.to_string(),
      custom_metadata: custom_metadata.to_string(),
    };
    let stored = row.clone();
    let outcome = self.transaction(|s| replace_object(s, &stored));
    match outcome {
      Ok(old) => {
        self.delete_blobs(&old);
        Ok(row)
      }
      Err(e) => {
        self.delete_blobs(&[blob]);
        Err(e)
      }
    }
  }

  pub fn delete(&mut self, keys: &[String]) -> Result<(), R2Error> {
    let old = self.transaction(|s| {
      let mut old = Vec::new();
      for key in keys {
        old.extend(remove_object(s, key)?);
      }
      Ok(old)
    })?;
    self.delete_blobs(&old);
    Ok(())
  }

  /// Up to `limit` entries (objects, and with a delimiter, the prefixes
  /// that group keys) with `prefix`, after `start_after`, in key order.
  pub fn list(
    &mut self,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
    delimiter: Option<&str>,
  ) -> Result<Listing, R2Error> {
    // Without a delimiter a page needs one row more than it shows; with
    // one, a group may span many rows, so they are all read.
    let bound = match delimiter.filter(|d| !d.is_empty()) {
      Some(_) => String::new(),
      None => format!(" LIMIT {}", limit + 1),
    };
    let cursor = self.storage.exec(
      &format!(
        "SELECT {ROW_COLUMNS} FROM _mf_objects \
         WHERE substr(key, 1, length(?1)) = ?1 AND (?2 IS NULL OR key > ?2) ORDER BY key{bound}"
      ),
      [
        SqlValue::Text(prefix.to_string()),
        start_after.map_or(SqlValue::Null, |s| SqlValue::Text(s.to_string())),
      ],
    )?;
    let mut objects = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut entries = 0;
    // The last key of the entry being built: an object's key, or the last
    // key a prefix groups.
    let mut last_key: Option<String> = None;
    let mut current_prefix: Option<String> = None;
    for row in &cursor.rows {
      let row = object_row(row);
      let group = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
        let rest = row.key.get(prefix.len()..).unwrap_or("");
        rest
          .find(d)
          .map(|at| row.key[..prefix.len() + at + d.len()].to_string())
      });
      match group {
        Some(group) if current_prefix.as_deref() == Some(group.as_str()) => {
          last_key = Some(row.key.clone());
        }
        group => {
          if entries == limit {
            return Ok(Listing {
              objects,
              delimited_prefixes: prefixes,
              next_after: last_key,
            });
          }
          entries += 1;
          last_key = Some(row.key.clone());
          match group {
            Some(group) => {
              prefixes.push(group.clone());
              current_prefix = Some(group);
            }
            None => {
              current_prefix = None;
              objects.push(row);
            }
          }
        }
      }
    }
    Ok(Listing {
      objects,
      delimited_prefixes: prefixes,
      next_after: None,
    })
  }

  pub fn create_upload(
    &mut self,
    key: &str,
    http_metadata: &str,
    custom_metadata: &str,
  ) -> Result<String, R2Error> {
    let id = random_base64url(128);
    let values = [
      SqlValue::Text(id.clone()),
      SqlValue::Text(key.to_string()),
      SqlValue::Text(http_metadata.to_string()),
      SqlValue::Text(custom_metadata.to_string()),
    ];
    self.transaction(|s| {
      s.exec(
        "INSERT INTO _mf_multipart_uploads (upload_id, key, http_metadata, custom_metadata) \
         VALUES (?, ?, ?, ?)",
        values,
      )?;
      Ok(())
    })?;
    Ok(id)
  }

  /// Stores part `number` of an upload in progress; answers its etag.
  pub fn upload_part(
    &mut self,
    key: &str,
    upload_id: &str,
    number: u32,
    value: &[u8],
  ) -> Result<String, R2Error> {
    let md5 = digest("md5", value);
    let blob = self.write_blob(value)?;
    let etag = random_base64url(128);
    let row = [
      SqlValue::Text(upload_id.to_string()),
      SqlValue::Integer(number.into()),
      SqlValue::Text(blob.clone()),
      SqlValue::Integer(value.len() as i64),
      SqlValue::Text(etag.clone()),
      SqlValue::Text(md5),
    ];
    let outcome = self.transaction(|s| {
      if upload_state(s, key, upload_id)? != Some(IN_PROGRESS) {
        return Err(R2Error::NoSuchUpload);
      }
      let previous = s.exec(
        "SELECT blob_id FROM _mf_multipart_parts WHERE upload_id = ? AND part_number = ?",
        [row[0].clone(), row[1].clone()],
      )?;
      s.exec(
        "INSERT OR REPLACE INTO _mf_multipart_parts \
         (upload_id, part_number, blob_id, size, etag, checksum_md5) VALUES (?, ?, ?, ?, ?, ?)",
        row,
      )?;
      Ok(previous.rows.first().map(|r| text(&r[0])))
    });
    match outcome {
      Ok(previous) => {
        self.delete_blobs(&previous.into_iter().collect::<Vec<_>>());
        Ok(etag)
      }
      Err(e) => {
        self.delete_blobs(&[blob]);
        Err(e)
      }
    }
  }

  /// Makes the object of an upload from `parts` (`(number, etag)`).
  pub fn complete_upload(
    &mut self,
    key: &str,
    upload_id: &str,
    parts: &[(u32, String)],
  ) -> Result<ObjectRow, R2Error> {
    let (row, old) = self.transaction(|s| {
      let upload = s.exec(
        "SELECT http_metadata, custom_metadata, state FROM _mf_multipart_uploads \
         WHERE upload_id = ? AND key = ?",
        [
          SqlValue::Text(upload_id.to_string()),
          SqlValue::Text(key.to_string()),
        ],
      )?;
      let Some(upload) = upload.rows.first() else {
        return Err(R2Error::Internal);
      };
      if number(&upload[2]) as i64 > IN_PROGRESS {
        return Err(R2Error::NoSuchUpload);
      }
      let mut seen = std::collections::HashSet::new();
      if !parts.iter().all(|(n, _)| seen.insert(*n)) {
        return Err(R2Error::Internal);
      }
      let stored = s.exec(
        "SELECT part_number, size, etag, checksum_md5 FROM _mf_multipart_parts WHERE upload_id = ?",
        [SqlValue::Text(upload_id.to_string())],
      )?;
      let stored: HashMap<u32, (u64, String, String)> = stored
        .rows
        .iter()
        .map(|r| {
          (
            number(&r[0]) as u32,
            (number(&r[1]) as u64, text(&r[2]), text(&r[3])),
          )
        })
        .collect();
      let mut chosen = Vec::with_capacity(parts.len());
      for (n, etag) in parts {
        match stored.get(n) {
          Some(part) if &part.1 == etag => chosen.push((*n, part.clone())),
          _ => return Err(R2Error::InvalidPart),
        }
      }
      let all_but_last = chosen.len().saturating_sub(1);
      if chosen[..all_but_last]
        .iter()
        .any(|(_, p)| p.0 < MIN_PART_SIZE)
      {
        return Err(R2Error::EntityTooSmall);
      }
      chosen.sort_by_key(|(n, _)| *n);
      if let Some((_, first)) = chosen[..all_but_last].first() {
        let size = first.0;
        if chosen[..all_but_last].iter().any(|(_, p)| p.0 != size)
          || chosen.last().is_some_and(|(_, p)| p.0 > size)
        {
          return Err(R2Error::BadUpload);
        }
      }
      let mut md5s = md5::Md5::new();
      for (_, part) in &chosen {
        // A part's digest as stored: hex, or (from a damaged file) anything.
        let bytes: Vec<u8> = (0..part.2.len() / 2)
          .map(|i| {
            part
              .2
              .get(i * 2..i * 2 + 2)
              .and_then(|h| u8::from_str_radix(h, 16).ok())
              .unwrap_or(0)
          })
          .collect();
        md5s.update(&bytes);
      }
      let etag = format!(
        "{}-{}",
        md5s
          .finalize()
          .iter()
          .map(|b| format!("{b:02x}"))
          .collect::<String>(),
        chosen.len()
      );
      let row = ObjectRow {
        key: key.to_string(),
        blob_id: None,
        version: random_hex(16),
        size: chosen.iter().map(|(_, p)| p.0).sum::<u64>() as f64,
        etag,
        uploaded: now_ms(),
        checksums: "{}".into(),
        http_metadata: text(&upload[0]),
        custom_metadata: text(&upload[1]),
      };
      let mut old = replace_object(s, &row)?;
      for (n, _) in &chosen {
        s.exec(
          "UPDATE _mf_multipart_parts SET object_key = ? WHERE upload_id = ? AND part_number = ?",
          [
            SqlValue::Text(key.to_string()),
            SqlValue::Text(upload_id.to_string()),
            SqlValue::Integer((*n).into()),
          ],
        )?;
      }
      let unused = s.exec(
        "DELETE FROM _mf_multipart_parts WHERE upload_id = ? AND object_key IS NULL RETURNING blob_id",
        [SqlValue::Text(upload_id.to_string())],
      )?;
      old.extend(unused.rows.iter().map(|r| text(&r[0])));
      set_upload_state(s, upload_id, COMPLETED)?;
      Ok((row, old))
    })?;
    self.delete_blobs(&old);
    Ok(row)
  }

  pub fn abort_upload(&mut self, key: &str, upload_id: &str) -> Result<(), R2Error> {
    let old = self.transaction(|s| {
      let Some(state) = upload_state(s, key, upload_id)? else {
        return Err(R2Error::Internal);
      };
      if state > IN_PROGRESS {
        return Ok(Vec::new());
      }
      let parts = s.exec(
        "DELETE FROM _mf_multipart_parts WHERE upload_id = ? RETURNING blob_id",
        [SqlValue::Text(upload_id.to_string())],
      )?;
      set_upload_state(s, upload_id, ABORTED)?;
      Ok(parts.rows.iter().map(|r| text(&r[0])).collect())
    })?;
    self.delete_blobs(&old);
    Ok(())
  }
}

fn upload_state(s: &mut ObjectStorage, key: &str, upload_id: &str) -> Result<Option<i64>, R2Error> {
  let cursor = s.exec(
    "SELECT state FROM _mf_multipart_uploads WHERE upload_id = ? AND key = ?",
    [
      SqlValue::Text(upload_id.to_string()),
      SqlValue::Text(key.to_string()),
    ],
  )?;
  Ok(cursor.rows.first().map(|r| number(&r[0]) as i64))
}

fn set_upload_state(s: &mut ObjectStorage, upload_id: &str, state: i64) -> Result<(), R2Error> {
  s.exec(
    "UPDATE _mf_multipart_uploads SET state = ? WHERE upload_id = ?",
    [
      SqlValue::Integer(state),
      SqlValue::Text(upload_id.to_string()),
    ],
  )?;
  Ok(())
}

/// Removes `key`'s object (and a multipart object's parts); answers the
/// blobs no longer used.
fn remove_object(s: &mut ObjectStorage, key: &str) -> Result<Vec<String>, R2Error> {
  let gone = s.exec(
    "DELETE FROM _mf_objects WHERE key = ? RETURNING blob_id",
    [SqlValue::Text(key.to_string())],
  )?;
  let Some(row) = gone.rows.first() else {
    return Ok(Vec::new());
  };
  if let SqlValue::Text(blob) = &row[0] {
    return Ok(vec![blob.clone()]);
  }
  let parts = s.exec(
    "DELETE FROM _mf_multipart_parts WHERE object_key = ? RETURNING blob_id",
    [SqlValue::Text(key.to_string())],
  )?;
  Ok(parts.rows.iter().map(|r| text(&r[0])).collect())
}

/// Puts `row` in place of whatever `key` held; answers the blobs no longer
/// used.
fn replace_object(s: &mut ObjectStorage, row: &ObjectRow) -> Result<Vec<String>, R2Error> {
  let old = remove_object(s, &row.key)?;
  s.exec(
    &format!("INSERT INTO _mf_objects ({ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    [
      SqlValue::Text(row.key.clone()),
      row.blob_id.clone().map_or(SqlValue::Null, SqlValue::Text),
      SqlValue::Text(row.version.clone()),
      SqlValue::Integer(row.size as i64),
      SqlValue::Text(row.etag.clone()),
      SqlValue::Integer(row.uploaded as i64),
      SqlValue::Text(row.checksums.clone()),
      SqlValue::Text(row.http_metadata.clone()),
      SqlValue::Text(row.custom_metadata.clone()),
    ],
  )?;
  Ok(old)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn put(bucket: &mut R2Bucket, key: &str, value: &[u8]) -> ObjectRow {
    bucket.put(key, value, "{}", "{}", &[]).unwrap()
  }

  #[test]
  fn objects_round_trip_with_md5_etags() {
    let mut bucket = R2Bucket::open(None, "b").unwrap();
    let row = put(&mut bucket, "k", b"hello");
    assert_eq!(row.etag, "5d41402abc4b2a76b9719d911017c592");
    let found = bucket.head("k").unwrap().unwrap();
    assert_eq!(found, row);
    assert_eq!(bucket.read(&found, 1, 3).unwrap(), b"ell");
    bucket.delete(&["k".to_string()]).unwrap();
    assert!(bucket.head("k").unwrap().is_none());
  }

  #[test]
  fn a_wrong_digest_stores_nothing() {
    let mut bucket = R2Bucket::open(None, "b").unwrap();
    let err = bucket
      .put("k", b"hello", "{}", "{}", &[("sha1".into(), "00".into())])
      .unwrap_err();
    assert!(
      matches!(
        err,
        R2Error::BadDigest {
          algorithm: "sha1",
          ..
        }
      ),
      "{err:?}"
    );
    assert!(bucket.head("k").unwrap().is_none());
  }

  #[test]
  fn lists_group_keys_by_delimiter() {
    let mut bucket = R2Bucket::open(None, "b").unwrap();
    for key in ["a", "b/1", "b/2", "c/x/1", "d"] {
      put(&mut bucket, key, b"x");
    }
    let page = bucket.list("", None, 3, Some("/")).unwrap();
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a"]);
    assert_eq!(page.delimited_prefixes, ["b/", "c/"]);
    assert_eq!(page.next_after.as_deref(), Some("c/x/1"));
    let rest = bucket.list("", Some("c/x/1"), 3, Some("/")).unwrap();
    assert_eq!(rest.objects.len(), 1);
    assert_eq!(rest.next_after, None);
  }

  #[test]
  fn multipart_uploads_join_their_parts() {
    let mut bucket = R2Bucket::open(None, "b").unwrap();
    let id = bucket.create_upload("big", "{}", "{}").unwrap();
    let first = vec![1u8; MIN_PART_SIZE as usize];
    let e1 = bucket.upload_part("big", &id, 1, &first).unwrap();
    let e2 = bucket.upload_part("big", &id, 2, b"tail").unwrap();
    assert_eq!(
      bucket.complete_upload("big", &id, &[(2, "nope".into())]),
      Err(R2Error::InvalidPart)
    );
    let row = bucket
      .complete_upload("big", &id, &[(1, e1), (2, e2)])
      .unwrap();
    assert!(row.etag.ends_with("-2"), "{}", row.etag);
    assert_eq!(row.size as u64, MIN_PART_SIZE + 4);
    let tail = bucket.read(&row, MIN_PART_SIZE - 2, 6).unwrap();
    assert_eq!(tail, [1, 1, b't', b'a', b'i', b'l']);
    assert_eq!(
      bucket.upload_part("big", &id, 3, b"late"),
      Err(R2Error::NoSuchUpload)
    );
  }
}
