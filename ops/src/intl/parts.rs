//! ICU4X output as the `{type, value}` parts ECMA-402's `formatToParts`
//! returns: ICU4X marks spans of its output with a `Part`, nested; each
//! character takes the innermost span's name, and unmarked text is a
//! `literal`.

use std::fmt;

use serde::Serialize;
use writeable::{Part, PartsWrite, TryWriteable, Writeable};

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct FormattedPart {
  #[serde(rename = "type")]
  pub kind: String,
  pub value: String,
}

impl FormattedPart {
  pub fn new(kind: &str, value: impl Into<String>) -> FormattedPart {
    FormattedPart {
      kind: kind.to_string(),
      value: value.into(),
    }
  }
}

#[derive(Default)]
struct Collector {
  text: String,
  /// (start, end, category, name) in bytes, outermost first.
  spans: Vec<(usize, usize, &'static str, &'static str)>,
}

impl fmt::Write for Collector {
  fn write_str(&mut self, s: &str) -> fmt::Result {
    self.text.push_str(s);
    Ok(())
  }
}

impl PartsWrite for Collector {
  type SubPartsWrite = Collector;

  fn with_part(
    &mut self,
    part: Part,
    mut f: impl FnMut(&mut Self::SubPartsWrite) -> fmt::Result,
  ) -> fmt::Result {
    let start = self.text.len();
    let index = self.spans.len();
    self.spans.push((start, start, part.category, part.value));
    f(self)?;
    self.spans[index].1 = self.text.len();
    Ok(())
  }
}

/// `writeable`'s output, split into parts (adjacent characters of one kind
/// together).
pub fn collect(writeable: &impl Writeable) -> Vec<FormattedPart> {
  collect_in(writeable, None)
}

/// Like `collect`, with only `category`'s spans: a date formatter writes
/// its numbers through a decimal formatter, whose `integer` spans inside
/// an `hour` span are not what `formatToParts` reports.
pub fn collect_in(writeable: &impl Writeable, category: Option<&str>) -> Vec<FormattedPart> {
  let mut collector = Collector::default();
  // Writing to a String cannot fail.
  let _ = writeable.write_to_parts(&mut collector);
  collector.parts(category)
}

impl Collector {
  /// The text as parts, named by the spans of `category` (all if `None`).
  fn parts(&self, category: Option<&str>) -> Vec<FormattedPart> {
    let spans: Vec<(usize, usize, &'static str)> = self
      .spans
      .iter()
      .filter(|span| category.is_none_or(|c| c == span.2))
      .map(|&(start, end, _, name)| (start, end, name))
      .collect();
    split(&self.text, &spans)
  }
}

/// A range's parts (ICU4X's `DateRangeFormatter`), each with the side of
/// the range ICU4X wrote it in (`startRange`, `endRange`, or `shared`
/// outside both), or `None` if ICU4X marked part of it as an error (a name
/// its range pattern needs but it did not load).
pub fn collect_range(writeable: &impl Writeable) -> Option<Vec<(FormattedPart, &'static str)>> {
  let mut collector = Collector::default();
  let _ = writeable.write_to_parts(&mut collector);
  if collector
    .spans
    .iter()
    .any(|&(_, _, category, name)| category == "writeable" && name == "error")
  {
    return None;
  }
  let is_side = |name: &str| matches!(name, "startRange" | "endRange");
  let mut sides = Vec::new();
  let mut fields = Vec::new();
  for &(start, end, category, name) in &collector.spans {
    if category != "datetime" {
      continue;
    }
    if is_side(name) {
      sides.push((start, end, name));
    } else {
      fields.push((start, end, name));
    }
  }
  let mut out: Vec<(FormattedPart, &'static str)> = Vec::new();
  for (at, ch) in collector.text.char_indices() {
    let kind = innermost(&fields, at).unwrap_or("literal");
    let source = innermost(&sides, at).unwrap_or("shared");
    match out.last_mut() {
      Some((last, last_source)) if last.kind == kind && *last_source == source => {
        last.value.push(ch)
      }
      _ => out.push((FormattedPart::new(kind, ch.to_string()), source)),
    }
  }
  Some(out)
}

/// Like `collect_in` for a formatter that can fail (ICU4X's pattern
/// formatter, when a name it needs is not loaded): `None` then.
pub fn try_collect_in(writeable: &impl TryWriteable, category: &str) -> Option<Vec<FormattedPart>> {
  let mut collector = Collector::default();
  match writeable.try_write_to_parts(&mut collector) {
    Ok(Ok(())) => Some(collector.parts(Some(category))),
    _ => None,
  }
}

/// The name of the innermost (last opened) span holding the byte `at`.
fn innermost(spans: &[(usize, usize, &'static str)], at: usize) -> Option<&'static str> {
  spans
    .iter()
    .rev()
    .find(|(start, end, _)| *start <= at && at < *end)
    .map(|(_, _, name)| *name)
}

fn split(text: &str, spans: &[(usize, usize, &'static str)]) -> Vec<FormattedPart> {
  let mut out: Vec<FormattedPart> = Vec::new();
  for (at, ch) in text.char_indices() {
    let kind = innermost(spans, at).unwrap_or("literal");
    match out.last_mut() {
      Some(last) if last.kind == kind => last.value.push(ch),
      _ => out.push(FormattedPart::new(kind, ch.to_string())),
    }
  }
  out
}

/// Joins adjacent parts of the same kind.
pub fn merge(parts: Vec<FormattedPart>) -> Vec<FormattedPart> {
  let mut out: Vec<FormattedPart> = Vec::new();
  for part in parts {
    match out.last_mut() {
      Some(last) if last.kind == part.kind => last.value.push_str(&part.value),
      _ if part.value.is_empty() => {}
      _ => out.push(part),
    }
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn innermost_span_names_a_character_and_the_rest_is_literal() {
    let spans = [(0, 5, "integer"), (1, 2, "group")];
    let parts = split("1,234 kg", &spans);
    let kinds: Vec<_> = parts
      .iter()
      .map(|p| (p.kind.as_str(), p.value.as_str()))
      .collect();
    assert_eq!(
      kinds,
      [
        ("integer", "1"),
        ("group", ","),
        ("integer", "234"),
        ("literal", " kg")
      ]
    );
  }
}
