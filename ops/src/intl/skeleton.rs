//! The pattern for `Intl.DateTimeFormat`'s component options, chosen as
//! ICU's DateTimePatternGenerator chooses it for V8: the options become a
//! skeleton (`yMMMd`), the locale's skeleton patterns (CLDR's
//! availableFormats, from dates.txt) are searched for the nearest one, its
//! field widths are adjusted to the request, and a date and a time found
//! apart are joined by the locale's date-time pattern.
//!
//! ICU4X picks patterns by semantic field sets instead, which collapse
//! widths ("J" for a narrow month alone comes out "Jan") and choose other
//! CLDR patterns than V8 for the same options (`15.01.2024` for de's
//! numeric date, where V8 writes `15.1.2024`), so kiln matches skeletons
//! itself and has ICU4X write the pattern it found. The Gregorian calendar
//! only: other calendars keep ICU4X's field sets.

use std::sync::OnceLock;

use icu_locale::LanguageIdentifier;

use super::cldr::Cldr;

static DATA: &str = include_str!("dates.txt");

fn data() -> &'static Cldr {
  static PARSED: OnceLock<Cldr> = OnceLock::new();
  PARSED.get_or_init(|| Cldr::parse(DATA))
}

// ICU's field kinds, in its order (UDateTimePatternField).
const ERA: usize = 0;
const YEAR: usize = 1;
const MONTH: usize = 3;
const WEEKDAY: usize = 6;
const DAY_PERIOD: usize = 10;
const HOUR: usize = 11;
const MINUTE: usize = 12;
const SECOND: usize = 13;
const FRACTION: usize = 14;
const FIELDS: usize = 16;
const DATE_MASK: u32 = (1 << 10) - 1;
const TIME_MASK: u32 = ((1 << FIELDS) - 1) & !DATE_MASK;

// How far apart two forms of a field are: numeric forms are positive and
// grow with their width; text forms are negative.
const NUMERIC: i32 = 0x100;
const DELTA: i32 = 0x10;
const NARROW: i32 = -0x101;
const SHORTER: i32 = -0x102;
const SHORT: i32 = -0x103;
const LONG: i32 = -0x104;
const EXTRA_FIELD: i32 = 0x10000;
const MISSING_FIELD: i32 = 0x1000;

/// (pattern letter, field, form, shortest width it takes).
const ROWS: &[(char, usize, i32, u8)] = &[
  ('G', ERA, SHORT, 1),
  ('G', ERA, LONG, 4),
  ('G', ERA, NARROW, 5),
  ('y', YEAR, NUMERIC, 1),
  ('Y', YEAR, NUMERIC + DELTA, 1),
  ('u', YEAR, NUMERIC + 2 * DELTA, 1),
  ('r', YEAR, NUMERIC + 3 * DELTA, 1),
  ('U', YEAR, SHORT, 1),
  ('U', YEAR, LONG, 4),
  ('U', YEAR, NARROW, 5),
  ('Q', 2, NUMERIC, 1),
  ('Q', 2, SHORT, 3),
  ('Q', 2, LONG, 4),
  ('Q', 2, NARROW, 5),
  ('q', 2, NUMERIC + DELTA, 1),
  ('q', 2, SHORT - DELTA, 3),
  ('q', 2, LONG - DELTA, 4),
  ('q', 2, NARROW - DELTA, 5),
  ('M', MONTH, NUMERIC, 1),
  ('M', MONTH, SHORT, 3),
  ('M', MONTH, LONG, 4),
  ('M', MONTH, NARROW, 5),
  ('L', MONTH, NUMERIC + DELTA, 1),
  ('L', MONTH, SHORT - DELTA, 3),
  ('L', MONTH, LONG - DELTA, 4),
  ('L', MONTH, NARROW - DELTA, 5),
  ('l', MONTH, NUMERIC + DELTA, 1),
  ('w', 4, NUMERIC, 1),
  ('W', 5, NUMERIC, 1),
  ('E', WEEKDAY, SHORT, 1),
  ('E', WEEKDAY, LONG, 4),
  ('E', WEEKDAY, NARROW, 5),
  ('E', WEEKDAY, SHORTER, 6),
  ('c', WEEKDAY, NUMERIC + 2 * DELTA, 1),
  ('c', WEEKDAY, SHORT - 2 * DELTA, 3),
  ('c', WEEKDAY, LONG - 2 * DELTA, 4),
  ('c', WEEKDAY, NARROW - 2 * DELTA, 5),
  ('c', WEEKDAY, SHORTER - 2 * DELTA, 6),
  ('e', WEEKDAY, NUMERIC + DELTA, 1),
  ('e', WEEKDAY, SHORT - DELTA, 3),
  ('e', WEEKDAY, LONG - DELTA, 4),
  ('e', WEEKDAY, NARROW - DELTA, 5),
  ('e', WEEKDAY, SHORTER - DELTA, 6),
  ('D', 7, NUMERIC, 1),
  ('F', 8, NUMERIC, 1),
  ('d', 9, NUMERIC, 1),
  ('g', 9, NUMERIC + DELTA, 1),
  ('a', DAY_PERIOD, SHORT, 1),
  ('a', DAY_PERIOD, LONG, 4),
  ('a', DAY_PERIOD, NARROW, 5),
  ('b', DAY_PERIOD, SHORT - DELTA, 1),
  ('b', DAY_PERIOD, LONG - DELTA, 4),
  ('b', DAY_PERIOD, NARROW - DELTA, 5),
  ('B', DAY_PERIOD, SHORT - 3 * DELTA, 1),
  ('B', DAY_PERIOD, LONG - 3 * DELTA, 4),
  ('B', DAY_PERIOD, NARROW - 3 * DELTA, 5),
  ('H', HOUR, NUMERIC + 10 * DELTA, 1),
  ('k', HOUR, NUMERIC + 11 * DELTA, 1),
  ('h', HOUR, NUMERIC, 1),
  ('K', HOUR, NUMERIC + DELTA, 1),
  ('m', MINUTE, NUMERIC, 1),
  ('s', SECOND, NUMERIC, 1),
  ('A', SECOND, NUMERIC + DELTA, 1),
  ('S', FRACTION, NUMERIC, 1),
  ('v', 15, SHORT - 2 * DELTA, 1),
  ('v', 15, LONG - 2 * DELTA, 4),
  ('z', 15, SHORT, 1),
  ('z', 15, LONG, 4),
  ('Z', 15, NARROW - DELTA, 1),
  ('Z', 15, LONG - DELTA, 4),
  ('Z', 15, SHORT - DELTA, 5),
  ('O', 15, SHORT - 2 * DELTA, 1),
  ('O', 15, LONG - 2 * DELTA, 4),
  ('V', 15, SHORT - DELTA, 1),
  ('V', 15, LONG - DELTA, 2),
  ('V', 15, LONG - 1 - DELTA, 3),
  ('V', 15, LONG - 2 - DELTA, 4),
  ('X', 15, NARROW - 3 * DELTA, 1),
  ('X', 15, SHORT - 3 * DELTA, 2),
  ('X', 15, LONG - 3 * DELTA, 4),
  ('x', 15, NARROW - 3 * DELTA, 1),
  ('x', 15, SHORT - 3 * DELTA, 2),
  ('x', 15, LONG - 3 * DELTA, 4),
];

/// The row for `letter` repeated `width` times: the one with the largest
/// shortest width it reaches.
fn row(letter: char, width: u8) -> Option<(usize, i32)> {
  ROWS
    .iter()
    .rev()
    .find(|r| r.0 == letter && r.3 <= width)
    .map(|r| (r.1, r.2))
}

#[derive(Clone, Debug, PartialEq)]
enum Item {
  Field(char, u8),
  Literal(String),
}

/// A CLDR pattern's fields and literal text (quoted text unquoted).
fn parse(pattern: &str) -> Vec<Item> {
  let mut items: Vec<Item> = Vec::new();
  let mut chars = pattern.chars().peekable();
  let mut literal = String::new();
  while let Some(c) = chars.next() {
    if c == '\'' {
      if chars.peek() == Some(&'\'') {
        chars.next();
        literal.push('\'');
        continue;
      }
      // Quoted text, to the closing quote ('' inside is one quote).
      while let Some(q) = chars.next() {
        if q == '\'' {
          if chars.peek() == Some(&'\'') {
            chars.next();
            literal.push('\'');
            continue;
          }
          break;
        }
        literal.push(q);
      }
      continue;
    }
    if c.is_ascii_alphabetic() {
      let mut width = 1u8;
      while chars.peek() == Some(&c) {
        chars.next();
        width = width.saturating_add(1);
      }
      if !literal.is_empty() {
        items.push(Item::Literal(std::mem::take(&mut literal)));
      }
      items.push(Item::Field(c, width));
    } else {
      literal.push(c);
    }
  }
  if !literal.is_empty() {
    items.push(Item::Literal(literal));
  }
  items
}

/// `items` as a pattern string again, literal text quoted.
fn write(items: &[Item]) -> String {
  let mut out = String::new();
  for item in items {
    match item {
      Item::Field(c, width) => {
        for _ in 0..*width {
          out.push(*c);
        }
      }
      Item::Literal(text) => {
        if text.chars().any(|c| c.is_ascii_alphabetic() || c == '\'') {
          out.push('\'');
          out.push_str(&text.replace('\'', "''"));
          out.push('\'');
        } else {
          out.push_str(text);
        }
      }
    }
  }
  out
}

/// A skeleton: for each field, its letter and width and its form.
#[derive(Clone, Debug, PartialEq)]
struct Skeleton {
  fields: [Option<(char, u8)>; FIELDS],
  forms: [i32; FIELDS],
}

impl Skeleton {
  fn of(items: &[Item]) -> Skeleton {
    let mut skeleton = Skeleton {
      fields: [None; FIELDS],
      forms: [0; FIELDS],
    };
    for item in items {
      if let Item::Field(letter, width) = item {
        if let Some((field, form)) = row(*letter, *width) {
          skeleton.fields[field] = Some((*letter, *width));
          skeleton.forms[field] = if form > 0 {
            form + i32::from(*width)
          } else {
            form
          };
        }
      }
    }
    // A 12-hour skeleton has a day period (an `a` if none is named); a
    // 24-hour one has none.
    match skeleton.fields[HOUR] {
      Some(('h' | 'K', _)) if skeleton.fields[DAY_PERIOD].is_none() => {
        skeleton.fields[DAY_PERIOD] = Some(('a', 1));
        skeleton.forms[DAY_PERIOD] = SHORT;
      }
      Some(('H' | 'k', _)) => {
        skeleton.fields[DAY_PERIOD] = None;
        skeleton.forms[DAY_PERIOD] = 0;
      }
      _ => {}
    }
    skeleton
  }

  fn mask(&self) -> u32 {
    (0..FIELDS)
      .filter(|&i| self.forms[i] != 0)
      .fold(0, |mask, i| mask | 1 << i)
  }

  /// How far `self` (the request, only the fields of `include`) is from
  /// `other`, with the fields `other` lacks and those it has in excess.
  fn distance(&self, other: &Skeleton, include: u32) -> (i32, u32, u32) {
    let (mut distance, mut missing, mut extra) = (0, 0, 0);
    for i in 0..FIELDS {
      let mine = if include & (1 << i) == 0 {
        0
      } else {
        self.forms[i]
      };
      let theirs = other.forms[i];
      if mine == theirs {
        continue;
      }
      if mine == 0 {
        distance += EXTRA_FIELD;
        extra |= 1 << i;
      } else if theirs == 0 {
        distance += MISSING_FIELD;
        missing |= 1 << i;
      } else {
        distance += (mine - theirs).abs();
      }
    }
    (distance, missing, extra)
  }
}

/// One pattern the generator can choose, with the skeleton it is filed
/// under, and whether that skeleton was CLDR's (availableFormats) rather
/// than read off the pattern.
struct Candidate {
  skeleton: Skeleton,
  pattern: Vec<Item>,
  specified: bool,
}

struct Generator {
  candidates: Vec<Candidate>,
  /// The date-time patterns, full to short.
  glue: [String; 4],
  locale: &'static str,
}

impl Generator {
  fn new(locale: &'static str) -> Generator {
    let cldr = data();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut add = |skeleton: Skeleton, pattern: Vec<Item>, specified: bool| match candidates
      .iter_mut()
      .find(|c| c.skeleton == skeleton)
    {
      Some(existing) if specified => {
        existing.pattern = pattern;
        existing.specified = true;
      }
      Some(_) => {}
      None => candidates.push(Candidate {
        skeleton,
        pattern,
        specified,
      }),
    };
    // ICU's order: single fields, the locale's date and time formats, then
    // its skeleton patterns, which replace an earlier one of their skeleton.
    for letter in "GyQMwWEDFdaHmsSv".chars() {
      let items = vec![Item::Field(letter, 1)];
      add(Skeleton::of(&items), items, false);
    }
    for kind in ["df", "tf"] {
      for length in ["full", "long", "medium", "short"] {
        if let Some(pattern) = cldr.get(locale, kind, length) {
          let items = parse(pattern);
          add(Skeleton::of(&items), items, false);
        }
      }
    }
    let mut available = cldr.all(locale, "af");
    available.sort();
    for (skeleton, pattern) in available {
      add(Skeleton::of(&parse(skeleton)), parse(pattern), true);
    }
    let glue = ["full", "long", "medium", "short"].map(|length| {
      cldr
        .get(locale, "dt", length)
        .unwrap_or("{1} {0}")
        .to_string()
    });
    Generator {
      candidates,
      glue,
      locale,
    }
  }

  /// The nearest candidate to `request`'s fields in `include`, with the
  /// fields it lacks and has in excess.
  fn best_raw(&self, request: &Skeleton, include: u32) -> Option<(&Candidate, u32, u32)> {
    let mut best: Option<(&Candidate, i32, u32, u32)> = None;
    for candidate in &self.candidates {
      let (distance, missing, extra) = request.distance(&candidate.skeleton, include);
      let better = match best {
        None => true,
        Some((_, d, m, _)) => distance < d || (distance == d && m < missing),
      };
      if better {
        best = Some((candidate, distance, missing, extra));
        if distance == 0 {
          break;
        }
      }
    }
    best.map(|(c, _, missing, extra)| (c, missing, extra))
  }

  /// `candidate`'s pattern with its fields' widths and letters made what
  /// `request` asks (ICU's adjustFieldTypes: a width the skeleton CLDR
  /// filed the pattern under already had is kept, and minutes and seconds
  /// keep the pattern's); `fraction` appends the fractional second to the
  /// seconds.
  fn adjust(
    &self,
    pattern: &[Item],
    specified: Option<&Skeleton>,
    request: &Skeleton,
    fraction: bool,
  ) -> Vec<Item> {
    let mut out = Vec::new();
    for item in pattern {
      let Item::Field(letter, width) = item else {
        out.push(item.clone());
        continue;
      };
      let Some((field, form)) = row(*letter, *width) else {
        out.push(item.clone());
        continue;
      };
      if fraction && field == SECOND {
        // ICU4X reads `s.S` as one field, writing the locale's separator.
        out.push(item.clone());
        out.push(Item::Literal(".".to_string()));
        if let Some((_, digits)) = request.fields[FRACTION] {
          out.push(Item::Field('S', digits));
        }
        continue;
      }
      let Some((wanted_letter, mut wanted_width)) = request.fields[field] else {
        out.push(item.clone());
        continue;
      };
      if wanted_letter == 'E' && wanted_width < 3 {
        wanted_width = 3;
      }
      let mut adjusted = wanted_width;
      if matches!(field, MINUTE | SECOND) {
        adjusted = *width;
      } else if let Some(specified) = specified {
        if !matches!(wanted_letter, 'c' | 'e') {
          let specified_width = specified.fields[field].map_or(0, |f| f.1);
          let pattern_numeric = form > 0;
          let specified_numeric = specified.forms[field] > 0;
          if specified_width == wanted_width || pattern_numeric != specified_numeric {
            adjusted = *width;
          }
        }
      }
      let keep_letter =
        matches!(field, HOUR | MONTH | WEEKDAY) || (field == YEAR && wanted_letter != 'Y');
      let letter = if keep_letter { *letter } else { wanted_letter };
      out.push(Item::Field(letter, adjusted));
    }
    out
  }

  fn best_appending(&self, request: &Skeleton, fields: u32) -> Vec<Item> {
    if fields == 0 {
      return Vec::new();
    }
    let Some((candidate, mut missing, extra)) = self.best_raw(request, fields) else {
      return Vec::new();
    };
    let specified = candidate.specified.then_some(&candidate.skeleton);
    let mut result = self.adjust(&candidate.pattern, specified, request, false);
    if missing == 0 && extra == 0 {
      return result;
    }
    const SECOND_AND_FRACTION: u32 = 1 << SECOND | 1 << FRACTION;
    while missing != 0 {
      if missing & SECOND_AND_FRACTION == 1 << FRACTION
        && fields & SECOND_AND_FRACTION == SECOND_AND_FRACTION
      {
        result = self.adjust(&result, specified, request, true);
        missing &= !(1 << FRACTION);
        continue;
      }
      let starting = missing;
      let Some((next, next_missing, _)) = self.best_raw(request, missing) else {
        break;
      };
      let next_specified = next.specified.then_some(&next.skeleton);
      let piece = self.adjust(&next.pattern, next_specified, request, false);
      let found = starting & !next_missing;
      if found == 0 {
        break;
      }
      missing = next_missing;
      let top = 31 - found.leading_zeros() as usize;
      let format = data()
        .get(self.locale, "ai", APPEND_NAMES[top])
        .unwrap_or(APPEND_DEFAULT);
      result = glue(format, &result, &piece);
    }
    result
  }

  /// The pattern for `request` (ICU's getBestPattern).
  fn best(&self, request: &Skeleton) -> Option<Vec<Item>> {
    let (candidate, missing, extra) = self.best_raw(request, u32::MAX)?;
    if missing == 0 && extra == 0 {
      let specified = candidate.specified.then_some(&candidate.skeleton);
      return Some(self.adjust(&candidate.pattern, specified, request, false));
    }
    let needed = request.mask();
    let date = self.best_appending(request, needed & DATE_MASK);
    let time = self.best_appending(request, needed & TIME_MASK);
    if date.is_empty() {
      return Some(time);
    }
    if time.is_empty() {
      return Some(date);
    }
    let glue_index = match request.fields[MONTH].map_or(0, |f| f.1) {
      4 if request.fields[WEEKDAY].is_some() => 0,
      4 => 1,
      3 => 2,
      _ => 3,
    };
    Some(glue(&self.glue[glue_index], &time, &date))
  }
}

/// CLDR's append item names by field (`*` where it has none).
const APPEND_NAMES: [&str; FIELDS] = [
  "Era",
  "Year",
  "Quarter",
  "Month",
  "Week",
  "*",
  "Day-Of-Week",
  "*",
  "*",
  "Day",
  "*",
  "Hour",
  "Minute",
  "Second",
  "*",
  "Timezone",
];

/// The append item a locale without one gets.
const APPEND_DEFAULT: &str = "{0} {1}";

/// `format` (a CLDR `{0}`/`{1}` pattern) with the two patterns put in;
/// `{2}`, a field's display name, is left out.
fn glue(format: &str, zero: &[Item], one: &[Item]) -> Vec<Item> {
  let mut out = Vec::new();
  for item in parse(format) {
    match item {
      Item::Literal(text) => {
        let mut rest = text.as_str();
        while let Some(at) = rest.find('{') {
          out.push(Item::Literal(rest[..at].to_string()));
          let close = rest[at..].find('}').map_or(rest.len(), |n| at + n);
          match &rest[at..(close + 1).min(rest.len())] {
            "{0}" => out.extend_from_slice(zero),
            "{1}" => out.extend_from_slice(one),
            _ => {}
          }
          rest = &rest[(close + 1).min(rest.len())..];
        }
        out.push(Item::Literal(rest.to_string()));
      }
      field => out.push(field),
    }
  }
  out.retain(|item| !matches!(item, Item::Literal(text) if text.is_empty()));
  // Adjacent literals (the format's and the patterns') are joined, so that
  // `write` quotes each run once.
  let mut joined: Vec<Item> = Vec::new();
  for item in out {
    match (joined.last_mut(), item) {
      (Some(Item::Literal(last)), Item::Literal(text)) => last.push_str(&text),
      (_, item) => joined.push(item),
    }
  }
  joined
}

/// The components of an Intl.DateTimeFormat, as ECMA-402 resolved them.
pub(crate) struct Components<'a> {
  pub weekday: Option<&'a str>,
  pub era: Option<&'a str>,
  pub year: Option<&'a str>,
  pub month: Option<&'a str>,
  pub day: Option<&'a str>,
  pub day_period: Option<&'a str>,
  /// The hour's width and its letter (`h`, `H` or `K`, by the hour cycle).
  pub hour: Option<(&'a str, char)>,
  pub minute: Option<&'a str>,
  pub second: Option<&'a str>,
  pub fractional_second_digits: Option<u8>,
  pub time_zone_name: Option<&'a str>,
}

/// The skeleton V8 asks ICU for.
fn skeleton(c: &Components) -> String {
  let mut out = String::new();
  let text = |v: &str, narrow: &'static str, short: &'static str, long: &'static str| match v {
    "narrow" => narrow,
    "long" => long,
    _ => short,
  };
  if let Some(v) = c.weekday {
    out.push_str(text(v, "EEEEE", "EEE", "EEEE"));
  }
  if let Some(v) = c.era {
    out.push_str(text(v, "GGGGG", "G", "GGGG"));
  }
  if let Some(v) = c.year {
    out.push_str(if v == "2-digit" { "yy" } else { "y" });
  }
  if let Some(v) = c.month {
    out.push_str(match v {
      "2-digit" => "MM",
      "numeric" => "M",
      other => text(other, "MMMMM", "MMM", "MMMM"),
    });
  }
  if let Some(v) = c.day {
    out.push_str(if v == "2-digit" { "dd" } else { "d" });
  }
  if let Some(v) = c.day_period {
    out.push_str(text(v, "BBBBB", "B", "BBBB"));
  }
  if let Some((width, letter)) = c.hour {
    out.push(letter);
    if width == "2-digit" {
      out.push(letter);
    }
  }
  if let Some(v) = c.minute {
    out.push_str(if v == "2-digit" { "mm" } else { "m" });
  }
  if let Some(v) = c.second {
    out.push_str(if v == "2-digit" { "ss" } else { "s" });
  }
  if let Some(n) = c.fractional_second_digits {
    for _ in 0..n {
      out.push('S');
    }
  }
  if let Some(v) = c.time_zone_name {
    out.push_str(match v {
      "long" => "zzzz",
      "shortOffset" => "O",
      "longOffset" => "OOOO",
      "shortGeneric" => "v",
      "longGeneric" => "vvvv",
      _ => "z",
    });
  }
  out
}

/// The pattern for `components` in the locale `id` (its Gregorian
/// calendar), as V8 gets it from ICU.
pub(crate) fn pattern(id: &LanguageIdentifier, components: &Components) -> Option<String> {
  let requested = skeleton(components);
  if requested.is_empty() {
    return None;
  }
  let locale = data().start(id);
  let generator = Generator::new(locale);
  let request = Skeleton::of(&parse(&requested));
  let mut items = generator.best(&request)?;
  // V8 puts the resolved hour cycle's letter in place of the pattern's.
  if let Some((_, wanted)) = components.hour {
    for item in &mut items {
      if let Item::Field(letter @ ('h' | 'H' | 'k' | 'K'), _) = item {
        *letter = wanted;
      }
    }
  }
  Some(write(&items))
}

/// The ECMA-402 components a pattern writes, with their widths (what V8's
/// `resolvedOptions()` reads off its pattern).
pub(crate) fn components(pattern: &str) -> Vec<(&'static str, String)> {
  let text = |width: u8| match width {
    4 => "long",
    5 => "narrow",
    _ => "short",
  };
  let digits = |width: u8| if width == 2 { "2-digit" } else { "numeric" };
  let mut out = Vec::new();
  for item in parse(pattern) {
    let Item::Field(letter, width) = item else {
      continue;
    };
    let found = match letter {
      'G' => ("era", text(width)),
      'y' => ("year", digits(width)),
      'M' | 'L' => (
        "month",
        match width {
          1 => "numeric",
          2 => "2-digit",
          3 => "short",
          4 => "long",
          _ => "narrow",
        },
      ),
      'E' | 'c' => ("weekday", text(width)),
      'd' => ("day", digits(width)),
      'B' => ("dayPeriod", text(width)),
      'h' | 'H' | 'k' | 'K' => ("hour", digits(width)),
      'm' => ("minute", digits(width)),
      's' => ("second", digits(width)),
      _ => continue,
    };
    out.push((found.0, found.1.to_string()));
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  fn best(locale: &str, components: Components) -> String {
    pattern(&locale.parse().unwrap(), &components).unwrap()
  }

  fn none() -> Components<'static> {
    Components {
      weekday: None,
      era: None,
      year: None,
      month: None,
      day: None,
      day_period: None,
      hour: None,
      minute: None,
      second: None,
      fractional_second_digits: None,
      time_zone_name: None,
    }
  }

  #[test]
  fn skeletons_find_cldrs_patterns() {
    let numeric = Components {
      year: Some("numeric"),
      month: Some("numeric"),
      day: Some("numeric"),
      ..none()
    };
    assert_eq!(best("de", numeric), "d.M.y");
    let narrow = Components {
      month: Some("narrow"),
      ..none()
    };
    assert_eq!(best("en", narrow), "LLLLL");
    let joined = Components {
      month: Some("long"),
      day: Some("numeric"),
      hour: Some(("numeric", 'h')),
      minute: Some("2-digit"),
      ..none()
    };
    assert_eq!(best("en", joined), "MMMM d' at 'h:mm\u{202f}a");
    let fraction = Components {
      minute: Some("2-digit"),
      second: Some("2-digit"),
      fractional_second_digits: Some(1),
      ..none()
    };
    assert_eq!(best("en", fraction), "mm:ss.S");
  }
}
