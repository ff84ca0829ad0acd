//! D1 (`env.DB.prepare(…).all()` and the rest), the Rust side of js/d1.js:
//! each database's [`D1Database`] (runtime/host/src/d1.rs), opened on first
//! use. A call takes and answers the JSON bodies workerd's D1 binding
//! exchanges with wrangler dev's D1 object, so js/d1.js keeps the binding's
//! own conversions (JSON's treatment of parameters and results) exactly.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use kiln_host::d1::{self, D1Database, ResultsFormat};

/// The worker's D1 databases, by database id; put in the op state by the
/// extension.
pub struct D1Databases {
  /// The state directory, or `None` to keep every database in memory.
  state_dir: Option<PathBuf>,
  open: RefCell<HashMap<String, Rc<RefCell<D1Database>>>>,
}

impl D1Databases {
  pub fn new(state_dir: Option<PathBuf>) -> D1Databases {
    D1Databases {
      state_dir,
      open: RefCell::new(HashMap::new()),
    }
  }

  fn database(&self, id: &str) -> Result<Rc<RefCell<D1Database>>, JsErrorBox> {
    if let Some(db) = self.open.borrow().get(id) {
      return Ok(db.clone());
    }
    let path = self
      .state_dir
      .as_ref()
      .map(|dir| d1::database_path(dir, id));
    let db = D1Database::open(path.as_deref())
      .map(|db| Rc::new(RefCell::new(db)))
      .map_err(|e| JsErrorBox::generic(format!("D1 database {id:?} cannot be opened: {e}")))?;
    self.open.borrow_mut().insert(id.to_string(), db.clone());
    Ok(db)
  }
}

/// One call of a D1 binding: `body` is the request's JSON; answers
/// `[bookmark, reply JSON]`.
#[op2]
#[serde]
pub fn op_d1_call(
  state: &mut OpState,
  #[string] id: &str,
  #[string] body: &str,
  #[string] format: &str,
) -> Result<(String, String), JsErrorBox> {
  let db = state.borrow::<D1Databases>().database(id)?;
  let mut db = db.borrow_mut();
  let reply = db.call(body, ResultsFormat::parse(format));
  Ok((db.bookmark(), reply.to_string()))
}
