//! The ceiling of Durable Object storage: kiln's storage layer
//! (`kiln_host::storage`, SQLite underneath) driven from Rust with no
//! JavaScript, doing what bench/do/worker.js asks of an object (N puts, N
//! gets, N SQL inserts, then one commit). Prints one JSON line of
//! operations per second, for bench/durable_objects.py.

use std::time::Instant;

use clap::Parser;
use kiln_host::storage::{ObjectStorage, SqlValue};

#[derive(Parser)]
struct Args {
  /// Operations per workload.
  #[arg(long, default_value_t = 20_000)]
  n: usize,
  /// Where the database goes (a file, as kiln keeps objects on disk).
  #[arg(long)]
  dir: std::path::PathBuf,
}

fn main() -> Result<(), String> {
  let args = Args::parse();
  let path = args.dir.join("ceiling.sqlite");
  let mut storage = ObjectStorage::open(Some(&path), true).map_err(|e| e.message)?;
  let value = [0xffu8, 0x0f, 0x49, 0x02];
  let put = {
    let start = Instant::now();
    for i in 0..args.n {
      storage
        .put(&format!("k{}", i % 1000), &value)
        .map_err(|e| e.message)?;
    }
    storage.commit().map_err(|e| e.message)?;
    args.n as f64 / start.elapsed().as_secs_f64()
  };
  let get = {
    let start = Instant::now();
    for i in 0..args.n {
      storage
        .get(&format!("k{}", i % 1000))
        .map_err(|e| e.message)?;
    }
    args.n as f64 / start.elapsed().as_secs_f64()
  };
  storage
    .exec(
      "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, value TEXT)",
      Vec::new(),
    )
    .map_err(|e| e.message)?;
  let sql = {
    let start = Instant::now();
    for i in 0..args.n {
      storage
        .exec(
          "INSERT INTO items (value) VALUES (?)",
          vec![SqlValue::Text(format!("v{i}"))],
        )
        .map_err(|e| e.message)?;
    }
    storage.commit().map_err(|e| e.message)?;
    args.n as f64 / start.elapsed().as_secs_f64()
  };
  println!("{{\"put\": {put:.0}, \"get\": {get:.0}, \"sql\": {sql:.0}}}");
  Ok(())
}
