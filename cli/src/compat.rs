//! `kiln compat`: the resolved compatibility flags of a configuration (or of
//! `--date`/`--flags`), each with the reason it is on or off.

use std::path::PathBuf;

use clap::Args;
use kiln_host::compat::{FlagDate, Reason, Resolved, FLAGS, IMPLEMENTED};
use kiln_host::config::{self, Source};
use serde_json::json;

use crate::ConfigArgs;

#[derive(Args)]
pub struct CompatArgs {
  /// A configuration file or a directory holding one [default: discovered
  /// from the current directory, if any].
  path: Option<PathBuf>,
  #[command(flatten)]
  config: ConfigArgs,
  /// The compatibility date to explain (same as --compatibility-date).
  #[arg(long, value_name = "YYYY-MM-DD")]
  date: Option<String>,
  /// The flags to explain (same as --compatibility-flags).
  #[arg(long, num_args = 0.., value_name = "FLAG")]
  flags: Option<Vec<String>>,
  /// Print JSON instead of a table.
  #[arg(long)]
  json: bool,
  /// List every flag, including those that are off and have no date.
  #[arg(long)]
  all: bool,
}

pub fn run(args: CompatArgs) -> Result<(), String> {
  let mut overrides = args.config.overrides();
  if args.date.is_some() {
    overrides.compatibility_date = args.date.clone();
  }
  if args.flags.is_some() {
    overrides.compatibility_flags = args.flags.clone();
  }
  let source = if let Some(first) = args.config.config.first() {
    Some(Source::Config(first.clone()))
  } else if args.path.is_some() {
    Some(config::find_source(args.path.as_deref())?)
  } else if args.date.is_none() && args.flags.is_none() {
    // Explain the configuration of the current directory, if there is one.
    config::find_source(None).ok()
  } else {
    None
  };
  let (resolved, warnings) = config::plan_compat(source.as_ref(), &overrides)?;
  if !warnings.is_empty() {
    eprint!("warning: {warnings}");
  }
  if args.json {
    println!(
      "{}",
      serde_json::to_string_pretty(&as_json(&resolved)).unwrap()
    );
  } else {
    print!("{}", as_table(&resolved, args.all, source.as_ref()));
  }
  Ok(())
}

/// Whether kiln follows a flag or only accepts it.
fn kiln_column(flag: &str) -> &'static str {
  if IMPLEMENTED.contains(&flag) {
    "implemented"
  } else {
    "no effect"
  }
}

fn default_date(date: FlagDate) -> serde_json::Value {
  match date {
    FlagDate::None => serde_json::Value::Null,
    FlagDate::AllDates => json!("all dates"),
    FlagDate::On(d) => json!(d),
  }
}

fn reason_json(reason: Reason) -> serde_json::Value {
  match reason {
    Reason::Date(d) => json!({"kind": "date", "date": d}),
    Reason::AllDates => json!({"kind": "all-dates"}),
    Reason::Named => json!({"kind": "named"}),
    Reason::NamedOff => json!({"kind": "named-off"}),
    Reason::Implied { by, after } => json!({"kind": "implied", "by": by, "after": after}),
    Reason::Before(d) => json!({"kind": "before-date", "date": d}),
    Reason::NotNamed => json!({"kind": "not-named"}),
  }
}

fn as_json(resolved: &Resolved) -> serde_json::Value {
  let flags: Vec<serde_json::Value> = FLAGS
    .iter()
    .enumerate()
    .map(|(i, def)| {
      json!({
        "flag": def.enable,
        "disable_flag": def.disable,
        "enabled": resolved.flags.get(i),
        "default_date": default_date(def.date),
        "experimental": def.experimental,
        "reason": reason_json(resolved.reasons[i]),
        "kiln": kiln_column(def.enable),
        "explanation": resolved.reasons[i].to_string(),
      })
    })
    .collect();
  json!({
    "compatibility_date": resolved.date.to_string(),
    "enabled": resolved.enabled_names(),
    "flags": flags,
    "warnings": resolved.warnings,
  })
}

fn as_table(resolved: &Resolved, all: bool, source: Option<&Source>) -> String {
  let mut out = String::new();
  let from = match source {
    Some(Source::Config(path)) => format!(" ({})", path.display()),
    _ => String::new(),
  };
  out.push_str(&format!("Compatibility date {}{from}\n\n", resolved.date));
  let rows: Vec<(usize, &'static str)> = FLAGS
    .iter()
    .enumerate()
    .filter(|(i, def)| {
      all || resolved.flags.get(*i) || !matches!(def.date, FlagDate::None) || {
        // A named disable flag is worth showing too.
        resolved.reasons[*i] == Reason::NamedOff
      }
    })
    .map(|(i, def)| (i, def.enable))
    .collect();
  let width = rows.iter().map(|(_, n)| n.len()).max().unwrap_or(4).max(4);
  out.push_str(&format!(
    "{:<width$}  {:<3}  {:<11}  WHY\n",
    "FLAG", "ON", "KILN"
  ));
  for (i, name) in &rows {
    let on = if resolved.flags.get(*i) { "on" } else { "off" };
    let kiln = kiln_column(name);
    let experimental = if FLAGS[*i].experimental {
      " [experimental]"
    } else {
      ""
    };
    out.push_str(&format!(
      "{name:<width$}  {on:<3}  {kiln:<11}  {}{experimental}\n",
      resolved.reasons[*i]
    ));
  }
  let on = (0..FLAGS.len()).filter(|i| resolved.flags.get(*i)).count();
  out.push_str(&format!("\n{on} of {} flags on.", FLAGS.len()));
  if !all {
    out.push_str(" Flags that are off and have no default date are hidden; --all lists them.");
  }
  out.push_str(&format!(
    "\nKILN: \"implemented\" where kiln follows the flag ({} flags); \"no effect\" where kiln accepts it but behaves the same with it on or off.",
    IMPLEMENTED.len()
  ));
  out.push('\n');
  out
}
