//! `kiln d1 migrations list|apply DATABASE`: the local half of wrangler's
//! `d1 migrations` commands. The database is found in the configuration by
//! its binding or its `database_name`; its `.sql` files are read from
//! `migrations_dir` beside the configuration, in name order; each one not
//! yet recorded in `migrations_table` runs in a transaction of its own
//! together with its record, so a failing file leaves nothing behind and
//! stops the run. The database file is the one `kiln dev` and wrangler dev
//! use (runtime/host/src/d1.rs), so either tool can apply them.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use kiln_host::config::{self, D1DatabaseBinding, Overrides, Source};
use kiln_host::d1::{self, D1Database};

use crate::ConfigArgs;

#[derive(Args)]
pub struct D1Args {
  #[command(subcommand)]
  command: D1Command,
}

#[derive(Subcommand)]
enum D1Command {
  /// Local D1 migrations, as `wrangler d1 migrations … --local`.
  Migrations(MigrationsArgs),
}

#[derive(Args)]
struct MigrationsArgs {
  #[command(subcommand)]
  command: MigrationsCommand,
}

#[derive(Subcommand)]
enum MigrationsCommand {
  /// Name the migrations not yet applied.
  List(Target),
  /// Apply every migration not yet applied, in order.
  Apply(Target),
}

#[derive(Args)]
struct Target {
  /// The database: its binding, or its `database_name`.
  database: String,
  #[command(flatten)]
  config: ConfigArgs,
  /// Where local state lives, as for `kiln dev` [default: .wrangler/state
  /// beside the configuration].
  #[arg(long, value_name = "DIR")]
  persist_to: Option<PathBuf>,
  /// Work on the local database (the only kind kiln has; accepted for
  /// wrangler's command lines).
  #[arg(long)]
  local: bool,
}

pub fn run(args: D1Args) -> Result<(), String> {
  let D1Command::Migrations(migrations) = args.command;
  let (target, apply) = match migrations.command {
    MigrationsCommand::List(target) => (target, false),
    MigrationsCommand::Apply(target) => (target, true),
  };
  let (mut db, binding, pending) = open(&target)?;
  if pending.is_empty() {
    println!("No migrations to apply!");
    return Ok(());
  }
  println!("Migrations to be applied:");
  for (name, _) in &pending {
    println!("  {name}");
  }
  if !apply {
    return Ok(());
  }
  println!(
    "Applying {} migration(s) to the local database {}:",
    pending.len(),
    binding.binding
  );
  for (name, path) in &pending {
    let sql =
      std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match db.apply_migration(&binding.migrations_table, name, &sql) {
      Ok(count) => println!("  {name}: {count} commands executed successfully."),
      Err(e) => {
        let left: Vec<&str> = pending
          .iter()
          .map(|(n, _)| n.as_str())
          .skip_while(|n| n != name)
          .skip(1)
          .collect();
        let mut message = format!("Migration {name} failed with the following errors:\n{e}");
        if !left.is_empty() {
          message.push_str(&format!("\nNot applied after it: {}", left.join(", ")));
        }
        return Err(message);
      }
    }
  }
  Ok(())
}

type Pending = Vec<(String, PathBuf)>;

fn open(target: &Target) -> Result<(D1Database, D1DatabaseBinding, Pending), String> {
  let source = match target.config.config.as_slice() {
    [] => config::find_source(None)?,
    [one] => Source::Config(one.clone()),
    _ => return Err("kiln d1 takes one configuration (-c FILE)".into()),
  };
  let Source::Config(config_path) = &source else {
    return Err("kiln d1 needs a wrangler configuration naming the database".into());
  };
  let overrides = Overrides {
    persist_to: target.persist_to.clone(),
    ..target.config.overrides()
  };
  let plan = config::plan_worker(&source, &overrides)?;
  let spec = plan.spec;
  let binding = spec
    .d1_databases
    .iter()
    .find(|db| db.binding == target.database)
    .or_else(|| {
      spec
        .d1_databases
        .iter()
        .find(|db| db.database_name.as_deref() == Some(target.database.as_str()))
    })
    .cloned()
    .ok_or_else(|| {
      let known: Vec<&str> = spec
        .d1_databases
        .iter()
        .map(|d| d.binding.as_str())
        .collect();
      format!(
        "Couldn't find a D1 DB with the name or binding '{}' in {} (its d1_databases: {}).",
        target.database,
        config_path.display(),
        if known.is_empty() {
          "none".to_string()
        } else {
          known.join(", ")
        }
      )
    })?;
  let state_dir = spec
    .state_dir
    .ok_or("local state is kept in memory; nothing to migrate")?;
  let dir = config_path
    .parent()
    .unwrap_or(Path::new("."))
    .join(&binding.migrations_dir);
  let files = migration_files(&dir)?;
  let mut db = D1Database::open(Some(&d1::database_path(&state_dir, &binding.id)))?;
  let applied = db.applied_migrations(&binding.migrations_table)?;
  let pending = files
    .into_iter()
    .filter(|(name, _)| !applied.contains(name))
    .collect();
  Ok((db, binding, pending))
}

/// The `.sql` files of `dir`, by name.
fn migration_files(dir: &Path) -> Result<Pending, String> {
  let entries = match std::fs::read_dir(dir) {
    Ok(entries) => entries,
    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
      return Err(format!(
        "No migrations present at {}. Set `migrations_dir` in the configuration to choose a different path.",
        dir.display()
      ))
    }
    Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
  };
  let mut files: Pending = entries
    .filter_map(Result::ok)
    .filter_map(|entry| {
      let name = entry.file_name().into_string().ok()?;
      name.ends_with(".sql").then(|| (name, entry.path()))
    })
    .collect();
  // wrangler's order: by the number before the first `_` (so 9_b.sql
  // comes before 10_a.sql), then by name; names without a number last.
  files.sort();
  files.sort_by_key(|(name, _)| leading_number(name).unwrap_or(u64::MAX));
  Ok(files)
}

/// The number a migration's name starts with (`0011` of `0011_c.sql`), as
/// JavaScript's parseInt reads it.
fn leading_number(name: &str) -> Option<u64> {
  let head = name.split('_').next()?;
  let digits: String = head
    .trim_start()
    .chars()
    .take_while(char::is_ascii_digit)
    .collect();
  digits.parse().ok()
}
