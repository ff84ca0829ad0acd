//! The CLDR data kiln carries beside ICU4X's (units.txt, dates.txt, made
//! by build/vendor-cldr, whose header says the format): each file is parsed
//! once per process, when first used, into its locales' records, and a
//! locale's record is looked up through its CLDR parents to `und`.

use std::collections::HashMap;

use icu_locale::{LanguageIdentifier, LocaleExpander};

struct Section {
  parent: Option<&'static str>,
  /// (kind, name) -> the record's value.
  records: HashMap<(&'static str, &'static str), &'static str>,
}

/// One of the files, parsed.
pub(crate) struct Cldr {
  sections: HashMap<&'static str, Section>,
}

impl Cldr {
  pub(crate) fn parse(data: &'static str) -> Cldr {
    let mut sections = HashMap::new();
    let mut current: Option<(&'static str, Section)> = None;
    for line in data.lines() {
      if line.starts_with('#') || line.is_empty() {
        continue;
      }
      if let Some(header) = line.strip_prefix('@') {
        if let Some((name, section)) = current.take() {
          sections.insert(name, section);
        }
        let (name, parent) = header.split_once('\t').unwrap_or((header, ""));
        current = Some((
          name,
          Section {
            parent: (!parent.is_empty()).then_some(parent),
            records: HashMap::new(),
          },
        ));
        continue;
      }
      let mut fields = line.splitn(3, '\t');
      let (Some(kind), Some(name), Some(value)) = (fields.next(), fields.next(), fields.next())
      else {
        continue;
      };
      if let Some((_, section)) = current.as_mut() {
        section.records.insert((kind, name), value);
      }
    }
    if let Some((name, section)) = current.take() {
      sections.insert(name, section);
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
      if let Some(found) = section.records.get(&(kind, name)) {
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
      for (&(k, name), &value) in &section.records {
        if k == kind && seen.insert(name) {
          out.push((name, value));
        }
      }
      at = section.parent;
    }
    out
  }
}
