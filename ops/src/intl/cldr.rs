//! The CLDR data kiln carries beside ICU4X's (units.txt, dates.txt, made
//! by build/vendor-cldr, whose header says the format): each file is
//! indexed by locale once per process, when first used, and a locale's
//! record is looked up in its section, then its CLDR parents' to `und`.

use std::collections::HashMap;

use icu_locale::{LanguageIdentifier, LocaleExpander};

struct Section {
  parent: Option<&'static str>,
  /// The section's record lines, read as they are looked up: a process
  /// reads few locales, and parsing every record of every locale took a
  /// first formatter milliseconds.
  body: &'static str,
}

/// One of the files, indexed by locale.
pub(crate) struct Cldr {
  sections: HashMap<&'static str, Section>,
}

impl Cldr {
  pub(crate) fn parse(data: &'static str) -> Cldr {
    let mut sections = HashMap::new();
    // (name, parent, where its records start)
    let mut current: Option<(&'static str, Option<&'static str>, usize)> = None;
    let mut offset = 0;
    for line in data.split_inclusive('\n') {
      let at = offset;
      offset += line.len();
      let Some(header) = line.strip_prefix('@') else {
        continue;
      };
      if let Some((name, parent, start)) = current.take() {
        sections.insert(
          name,
          Section {
            parent,
            body: &data[start..at],
          },
        );
      }
      let header = header.trim_end_matches('\n');
      let (name, parent) = header.split_once('\t').unwrap_or((header, ""));
      current = Some((name, (!parent.is_empty()).then_some(parent), offset));
    }
    if let Some((name, parent, start)) = current.take() {
      sections.insert(
        name,
        Section {
          parent,
          body: &data[start..],
        },
      );
    }
    Cldr { sections }
  }

  /// The locale in the data that `id` starts from: itself, its likely full
  /// form (so that `zh-TW` finds `zh-Hant`), or a shorter form of either.
  pub(crate) fn start(&self, id: &LanguageIdentifier) -> &'static str {
    let mut full = id.clone();
    LocaleExpander::new_extended().maximize(&mut full);
    let language = id.language.as_str();
    let mut candidates = vec![id.to_string()];
    if let Some(script) = full.script {
      if let Some(region) = full.region {
        candidates.push(format!("{language}-{script}-{region}"));
      }
      candidates.push(format!("{language}-{script}"));
    }
    if let Some(region) = id.region {
      candidates.push(format!("{language}-{region}"));
    }
    candidates.push(language.to_string());
    for candidate in candidates {
      if let Some((name, _)) = self.sections.get_key_value(candidate.as_str()) {
        return name;
      }
    }
    "und"
  }

  /// The record `(kind, name)` as `locale` sees it, following its parents.
  pub(crate) fn get(&self, locale: &'static str, kind: &str, name: &str) -> Option<&'static str> {
    let mut at = Some(locale);
    while let Some(here) = at {
      let section = self.sections.get(here)?;
      if let Some(found) =
        records(section.body).find_map(|(k, n, value)| (k == kind && n == name).then_some(value))
      {
        return Some(found);
      }
      at = section.parent;
    }
    None
  }

  /// Every record of `kind` as `locale` sees it (a nearer locale's first).
  pub(crate) fn all(&self, locale: &'static str, kind: &str) -> Vec<(&'static str, &'static str)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut at = Some(locale);
    while let Some(here) = at {
      let Some(section) = self.sections.get(here) else {
        break;
      };
      for (k, name, value) in records(section.body) {
        if k == kind && seen.insert(name) {
          out.push((name, value));
        }
      }
      at = section.parent;
    }
    out
  }
}

/// A section's records: (kind, name, value).
fn records(body: &'static str) -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
  body.lines().filter_map(|line| {
    let mut fields = line.splitn(3, '\t');
    Some((fields.next()?, fields.next()?, fields.next()?))
  })
}
