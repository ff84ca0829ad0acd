//! Compatibility dates and flags: which behaviour a worker gets, decided the
//! way workerd decides it. The flag table is data (`flags.tsv`, compiled in by
//! build.rs); runtime code reads resolved flags as typed fields, e.g.
//! `flags.web_socket_auto_reply_to_close`.

use std::fmt;

include!(concat!(env!("OUT_DIR"), "/compat_flags.rs"));

/// The newest compatibility date kiln accepts (the same as workerd
/// 2026-11-17, the reference kiln is checked against: its release + 7 days).
pub const NEWEST_COMPATIBILITY_DATE: &str = "2026-11-24";
/// The date used when a worker names none (wrangler's rule: a pinned date,
/// not today), with a warning when a configuration file exists.
pub const DEFAULT_COMPATIBILITY_DATE: &str = "2026-11-17";

/// The flags whose behaviour kiln implements: its code reads each of them
/// (`flags.has("…")` in js/, `.contains(&"…")` in Rust, which a test checks
/// against this list). Every other flag is accepted without effect: kiln
/// behaves the same with it on or off.
pub const IMPLEMENTED: [&str; 15] = [
  "assets_navigation_prefers_asset_serving",
  "delete_all_deletes_alarm",
  "increase_websocket_message_size",
  "nodejs_als",
  "nodejs_compat",
  "nodejs_compat_populate_process_env",
  "nodejs_compat_v2",
  "pedantic_wpt",
  "queue_consumer_no_wait_for_wait_until",
  "queues_json_messages",
  "upper_case_all_http_methods",
  "web_socket_auto_reply_to_close",
  "web_socket_compression",
  "websocket_close_reason_byte_limit",
  "websocket_standard_binary_type",
];

/// What a user would miss from a flag kiln accepts without effect, for the
/// flags where it shows; the others get a general sentence.
pub fn missing_effect(flag: &str) -> Option<&'static str> {
  Some(match flag {
    "python_workers" => "Python workers do not run",
    f if f.starts_with("enable_nodejs_") && (f.ends_with("_module") || f.ends_with("_modules")) => {
      "kiln does not provide the Node.js module it enables; an import of it is a start-up error"
    }
    _ => return None,
  })
}

#[derive(Clone, Copy, Debug)]
pub enum FlagDate {
  /// Off unless named.
  None,
  /// On for every date.
  AllDates,
  /// On from this date (`YYYY-MM-DD`).
  On(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub struct Implied {
  /// Turned on when any of these flags (enable names) is on...
  pub by: &'static [&'static str],
  /// ...and the compatibility date is on or after this one.
  pub after: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub struct FlagDef {
  pub enable: &'static str,
  pub disable: Option<&'static str>,
  pub date: FlagDate,
  pub experimental: bool,
  pub implied: Option<Implied>,
}

/// A compatibility date. Ordered, so dates compare directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CompatDate {
  year: u16,
  month: u8,
  day: u8,
}

impl CompatDate {
  /// workerd's rule: exactly `YYYY-MM-DD`, year 2000–2999, month 1–12, day
  /// 1–31 (so 02-30 is accepted, as workerd accepts it).
  pub fn parse(text: &str) -> Option<CompatDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || b[0] != b'2' {
      return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u16> {
      let part = &text[range];
      if !part.bytes().all(|c| c.is_ascii_digit()) {
        return None;
      }
      part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
      return None;
    }
    Some(CompatDate {
      year,
      month: month as u8,
      day: day as u8,
    })
  }

  /// Today's date in UTC.
  pub fn today() -> CompatDate {
    let secs = std::time::SystemTime::now()
      .duration_since(std::time::UNIX_EPOCH)
      .map(|d| d.as_secs())
      .unwrap_or(0);
    // Howard Hinnant's days-to-civil algorithm.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    CompatDate { year, month, day }
  }

  fn of(text: &'static str) -> CompatDate {
    CompatDate::parse(text).expect("dates in flags.tsv are checked by build.rs")
  }
}

impl fmt::Display for CompatDate {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
  }
}

/// What to resolve.
#[derive(Clone, Debug)]
pub struct CompatInput<'a> {
  pub date: &'a str,
  pub flags: &'a [String],
  /// `--experimental`: allows flags marked experimental.
  pub experimental: bool,
  pub today: CompatDate,
}

/// Why a flag ended up on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
  /// On: the date is on or after the flag's default-on date.
  Date(&'static str),
  /// On for every date.
  AllDates,
  /// On: its enable flag was named.
  Named,
  /// Off: its disable flag was named.
  NamedOff,
  /// On: implied by another flag that is on, the date being on or after `after`.
  Implied {
    by: &'static str,
    after: &'static str,
  },
  /// Off: the date is before the flag's default-on date.
  Before(&'static str),
  /// Off: the flag has no default-on date and was not named.
  NotNamed,
}

impl fmt::Display for Reason {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      Reason::Date(d) => write!(f, "default since {d}"),
      Reason::AllDates => write!(f, "default for every date"),
      Reason::Named => write!(f, "named in compatibility_flags"),
      Reason::NamedOff => write!(f, "turned off in compatibility_flags"),
      Reason::Implied { by, after } => write!(f, "implied by {by} (on/after {after})"),
      Reason::Before(d) => write!(f, "default from {d}, after this date"),
      Reason::NotNamed => write!(f, "off unless named"),
    }
  }
}

/// A successful resolution.
#[derive(Clone, Debug)]
pub struct Resolved {
  pub date: CompatDate,
  pub flags: CompatFlags,
  /// One per entry of [`FLAGS`].
  pub reasons: Vec<Reason>,
  pub warnings: Vec<String>,
}

impl Resolved {
  /// The flags the worker names in `compatibility_flags` (or on the command
  /// line) that kiln accepts without effect: a user who names a flag
  /// expects what it does.
  pub fn named_without_effect(&self) -> Vec<&'static str> {
    FLAGS
      .iter()
      .enumerate()
      .filter(|(i, def)| {
        self.flags.get(*i)
          && self.reasons[*i] == Reason::Named
          && !IMPLEMENTED.contains(&def.enable)
      })
      .map(|(_, def)| def.enable)
      .collect()
  }

  /// The enable names of every flag that is on, in table order.
  pub fn enabled_names(&self) -> Vec<&'static str> {
    FLAGS
      .iter()
      .enumerate()
      .filter(|(i, _)| self.flags.get(*i))
      .map(|(_, def)| def.enable)
      .collect()
  }
}

/// Every problem found, reported together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatErrors {
  pub errors: Vec<String>,
  pub warnings: Vec<String>,
}

impl fmt::Display for CompatErrors {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, e) in self.errors.iter().enumerate() {
      if i > 0 {
        writeln!(f)?;
      }
      write!(f, "{e}")?;
    }
    Ok(())
  }
}

fn index_of(name: &str) -> Option<(usize, bool)> {
  FLAGS.iter().enumerate().find_map(|(i, def)| {
    if def.enable == name {
      Some((i, true))
    } else if def.disable == Some(name) {
      Some((i, false))
    } else {
      None
    }
  })
}

/// Decides every flag for a date and a list of named flags, with workerd's
/// rules and messages.
pub fn resolve(input: &CompatInput) -> Result<Resolved, CompatErrors> {
  let mut errors = Vec::new();
  let mut warnings = Vec::new();

  let date = match CompatDate::parse(input.date) {
    Some(date) => {
      let newest = CompatDate::of(NEWEST_COMPATIBILITY_DATE);
      if date > newest {
        errors.push(format!(
          "This Worker requires compatibility date \"{date}\", but the newest date supported by this server binary is \"{newest}\"."
        ));
      } else if date > input.today {
        errors.push(format!(
          "Can't set compatibility date in the future: \"{date}\". Today's date (UTC) is \"{}\".",
          input.today
        ));
      }
      date
    }
    None => {
      errors.push(format!("Invalid compatibility date: {}", input.date));
      CompatDate::of("2021-05-01")
    }
  };

  // Which names were given, per flag: (enable named, disable named).
  let mut named = vec![(false, false); FLAGS.len()];
  let mut seen: Vec<&str> = Vec::new();
  for name in input.flags {
    if seen.contains(&name.as_str()) {
      errors.push(format!(
        "Compatibility flag specified multiple times: {name}"
      ));
      continue;
    }
    seen.push(name);
    let Some((index, enable)) = index_of(name) else {
      errors.push(format!("No such compatibility flag: {name}"));
      continue;
    };
    let def = &FLAGS[index];
    if def.experimental && !input.experimental {
      errors.push(format!(
        "The compatibility flag {name} is experimental and may break or be removed in a future version of workerd. To use this flag, you must pass --experimental on the command line."
      ));
    }
    if enable {
      named[index].0 = true;
    } else {
      named[index].1 = true;
    }
  }

  let mut flags = CompatFlags::default();
  let mut reasons = Vec::with_capacity(FLAGS.len());
  for (index, def) in FLAGS.iter().enumerate() {
    let (enable, disable) = named[index];
    if enable && disable {
      errors.push(format!(
        "Compatibility flags are mutually contradictory: {} vs {}",
        def.enable,
        def.disable.unwrap_or_default()
      ));
    }
    let (by_date, date_reason) = match def.date {
      FlagDate::None => (false, Reason::NotNamed),
      FlagDate::AllDates => (true, Reason::AllDates),
      FlagDate::On(d) if date >= CompatDate::of(d) => (true, Reason::Date(d)),
      FlagDate::On(d) => (false, Reason::Before(d)),
    };
    if enable && by_date {
      warnings.push(match def.date {
        FlagDate::AllDates => format!(
          "The compatibility flag {} is the default, so does not need to be specified anymore.",
          def.enable
        ),
        _ => format!(
          "The compatibility flag {} became the default as of {} so does not need to be specified anymore.",
          def.enable,
          match date_reason {
            Reason::Date(d) => d,
            _ => "",
          }
        ),
      });
    }
    let (value, reason) = if enable {
      (true, Reason::Named)
    } else if disable {
      (false, Reason::NamedOff)
    } else {
      (by_date, date_reason)
    };
    flags.set(index, value);
    reasons.push(reason);
  }

  // Implications: one pass in field order, after every flag has its value.
  for (index, def) in FLAGS.iter().enumerate() {
    let Some(implied) = def.implied else { continue };
    if named[index].1 || flags.get(index) || date < CompatDate::of(implied.after) {
      continue;
    }
    let by = implied
      .by
      .iter()
      .find(|name| index_of(name).is_some_and(|(other, enable)| enable && flags.get(other)));
    if let Some(by) = by {
      flags.set(index, true);
      reasons[index] = Reason::Implied {
        by,
        after: implied.after,
      };
    }
  }

  if errors.is_empty() {
    Ok(Resolved {
      date,
      flags,
      reasons,
      warnings,
    })
  } else {
    Err(CompatErrors { errors, warnings })
  }
}

#[cfg(test)]
mod tests;
