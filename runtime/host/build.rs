//! Compiles the compatibility-flag table (src/compat/flags.tsv, one row per
//! flag as workerd defines them) into Rust: a `CompatFlags` struct with one
//! `bool` field per flag, and the static table the resolver walks. Updating
//! the flags is replacing that one file.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
  let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
  let tsv_path = manifest.join("src/compat/flags.tsv");
  println!("cargo:rerun-if-changed={}", tsv_path.display());
  let tsv = std::fs::read_to_string(&tsv_path).expect("read flags.tsv");
  let mut lines = tsv.lines();
  let header = lines.next().expect("header row");
  assert_eq!(
    header.split('\t').collect::<Vec<_>>(),
    [
      "enable_flag",
      "disable_flag",
      "enable_date",
      "experimental",
      "implied_by"
    ],
    "flags.tsv columns changed"
  );

  let mut fields = String::new();
  let mut table = String::new();
  let mut getters = String::new();
  let mut setters = String::new();
  for (index, line) in lines.filter(|l| !l.trim().is_empty()).enumerate() {
    let cols: Vec<&str> = line.split('\t').collect();
    assert_eq!(cols.len(), 5, "flags.tsv row {}: {line:?}", index + 2);
    let (enable, disable, date, experimental, implied) =
      (cols[0], cols[1], cols[2], cols[3], cols[4]);
    let field = enable.replace('-', "_");
    let date = match date {
      "" => "FlagDate::None".to_string(),
      "all dates" => "FlagDate::AllDates".to_string(),
      d => {
        check_date(d, line);
        format!("FlagDate::On({d:?})")
      }
    };
    let implied = if implied.is_empty() {
      "None".to_string()
    } else {
      // "a or b (on/after YYYY-MM-DD)"
      let (names, rest) = implied.split_once(" (on/after ").expect("implied_by form");
      let date = rest.trim_end_matches(')');
      check_date(date, line);
      let names: Vec<String> = names.split(" or ").map(|n| format!("{n:?}")).collect();
      format!(
        "Some(Implied {{ by: &[{}], after: {date:?} }})",
        names.join(", ")
      )
    };
    let disable = if disable.is_empty() {
      "None".to_string()
    } else {
      format!("Some({disable:?})")
    };
    writeln!(fields, "  pub {field}: bool,").unwrap();
    writeln!(
      table,
      "  FlagDef {{ enable: {enable:?}, disable: {disable}, date: {date}, experimental: {}, implied: {implied} }},",
      experimental == "yes"
    )
    .unwrap();
    writeln!(getters, "      {index} => self.{field},").unwrap();
    writeln!(setters, "      {index} => self.{field} = value,").unwrap();
  }

  let out = format!(
    "/// Every compatibility flag, resolved. Generated from flags.tsv.\n\
     #[derive(Clone, Debug, Default, PartialEq, Eq)]\n\
     pub struct CompatFlags {{\n{fields}}}\n\n\
     /// The flag definitions, in workerd's field order (implications are applied in this order).\n\
     pub static FLAGS: &[FlagDef] = &[\n{table}];\n\n\
     impl CompatFlags {{\n\
     \x20 /// The value of the flag at `index` in [`FLAGS`].\n\
     \x20 pub fn get(&self, index: usize) -> bool {{\n    match index {{\n{getters}      _ => false,\n    }}\n  }}\n\n\
     \x20 pub(crate) fn set(&mut self, index: usize, value: bool) {{\n    match index {{\n{setters}      _ => {{}}\n    }}\n  }}\n}}\n"
  );
  let out_path = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("compat_flags.rs");
  std::fs::write(out_path, out).unwrap();
}

fn check_date(date: &str, line: &str) {
  let ok = date.len() == 10
    && date.chars().enumerate().all(|(i, c)| {
      if i == 4 || i == 7 {
        c == '-'
      } else {
        c.is_ascii_digit()
      }
    });
  assert!(ok, "flags.tsv: bad date {date:?} in {line:?}");
}
