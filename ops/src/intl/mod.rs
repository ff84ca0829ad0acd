//! `Intl` for the QuickJS build, backed by ICU4X and its compiled CLDR data
//! (V8 brings its own ICU, so the V8 build has none of this).
//!
//! js/intl.js reads and validates the ECMA-402 options bags and keeps the
//! objects; the ops here do what needs locale data: locale negotiation,
//! number, date, relative time, list and plural formatting, display
//! names, collation, segmentation and case mapping. Formatters are costly to build and cheap to use, so each
//! thread keeps the ones it built, by locale and options.

mod cldr;
mod datetime;
mod locale;
mod names;
mod number;
mod parts;
mod skeleton;
mod text;
mod units;

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;

use deno_error::JsErrorBox;

deno_core::extension!(
  kiln_intl,
  ops = [
    locale::op_intl_canonicalize,
    locale::op_intl_locale_info,
    locale::op_intl_locale_maximize,
    locale::op_intl_locale_minimize,
    locale::op_intl_locale_facts,
    locale::op_intl_supported_values,
    number::op_intl_number_new,
    number::op_intl_number_format,
    number::op_intl_number_format_string,
    number::op_intl_plural_select,
    number::op_intl_plural_categories,
    number::op_intl_currency_digits,
    datetime::op_intl_time_zone,
    datetime::op_intl_date_new,
    datetime::op_intl_date_format,
    datetime::op_intl_date_format_string,
    datetime::op_intl_date_format_range,
    datetime::op_intl_date_components,
    datetime::op_intl_date_resolve,
    text::op_intl_collator_new,
    text::op_intl_compare,
    text::op_intl_list_format,
    text::op_intl_segment,
    text::op_intl_case,
    names::op_intl_relative_format,
    names::op_intl_display_name,
  ],
  esm_entry_point = "ext:kiln_intl/intl.js",
  esm = [dir "../js", "intl.js"],
);

/// The error V8 throws for a malformed option value.
pub(crate) fn range_error(message: impl Into<String>) -> JsErrorBox {
  JsErrorBox::range_error(message.into())
}

/// A per-thread cache of built formatters; one that grows past `LIMIT`
/// (a worker building formatters for ever-new option sets) starts over.
pub(crate) struct Cache<K, V> {
  entries: RefCell<HashMap<K, Rc<V>>>,
}

impl<K: Eq + Hash, V> Cache<K, V> {
  const LIMIT: usize = 512;

  pub(crate) fn new() -> Self {
    Cache {
      entries: RefCell::new(HashMap::new()),
    }
  }

  pub(crate) fn get_or_try(
    &self,
    key: K,
    build: impl FnOnce() -> Result<V, JsErrorBox>,
  ) -> Result<Rc<V>, JsErrorBox> {
    if let Some(found) = self.entries.borrow().get(&key) {
      return Ok(found.clone());
    }
    let built = Rc::new(build()?);
    let mut entries = self.entries.borrow_mut();
    if entries.len() >= Self::LIMIT {
      entries.clear();
    }
    entries.insert(key, built.clone());
    Ok(built)
  }
}

/// Formatters JavaScript refers to by number: an Intl object is built once
/// (its options checked, its formatter made) and each call names it by id,
/// instead of sending its options again. The same options give the same
/// id; ids are never reused, so there is one entry per distinct options.
pub(crate) struct Handles<K, V> {
  ids: RefCell<HashMap<K, u32>>,
  values: RefCell<Vec<Rc<V>>>,
}

impl<K: Eq + Hash, V> Handles<K, V> {
  pub(crate) fn new() -> Self {
    Handles {
      ids: RefCell::new(HashMap::new()),
      values: RefCell::new(Vec::new()),
    }
  }

  pub(crate) fn id_for(
    &self,
    key: K,
    build: impl FnOnce(&K) -> Result<V, JsErrorBox>,
  ) -> Result<u32, JsErrorBox> {
    if let Some(id) = self.ids.borrow().get(&key) {
      return Ok(*id);
    }
    let built = Rc::new(build(&key)?);
    let mut values = self.values.borrow_mut();
    let id = values.len() as u32;
    values.push(built);
    self.ids.borrow_mut().insert(key, id);
    Ok(id)
  }

  pub(crate) fn get(&self, id: u32) -> Result<Rc<V>, JsErrorBox> {
    self
      .values
      .borrow()
      .get(id as usize)
      .cloned()
      .ok_or_else(|| JsErrorBox::type_error("not an Intl object of this kind"))
  }
}
