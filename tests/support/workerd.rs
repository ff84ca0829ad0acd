//! A reusable launcher for workerd, the reference runtime (npm `workerd`,
//! installed into tests/reference by `make reference`).
//!
//! A [`WorkerdConfig`] describes one ES-module worker: its name, modules,
//! compatibility date and flags, and its Durable Object namespaces. It can be
//! read from a wrangler.toml (the small subset the test workers use) the way
//! wrangler dev / Miniflare would configure workerd: `uniqueKey` is
//! `"<worker name>-<Class>"`, `enableSql` comes from `[[migrations]]`, and
//! storage is `localDisk` on a writable disk service. [`Workerd::start`]
//! writes the Cap'n Proto config into a temporary directory, picks a free
//! port, waits (with a deadline) until workerd accepts connections, captures
//! its stdout and stderr for failure messages, and kills it when dropped.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The workerd binary that `make reference` installs.
pub fn workerd_bin() -> PathBuf {
  if let Some(bin) = std::env::var_os("WORKERD_BIN") {
    return PathBuf::from(bin);
  }
  let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
    .join("reference/node_modules/@cloudflare/workerd-linux-64/bin/workerd");
  assert!(
    bin.exists(),
    "{} is missing: `make reference` installs it (cd tests/reference && npm install)",
    bin.display()
  );
  bin
}

/// A directory under the system temporary directory, removed when dropped.
pub struct TempDir {
  path: PathBuf,
}

impl TempDir {
  pub fn new(tag: &str) -> TempDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
      .duration_since(std::time::UNIX_EPOCH)
      .map(|d| d.subsec_nanos())
      .unwrap_or(0);
    let path = std::env::temp_dir().join(format!(
      "kiln-{tag}-{}-{}-{nanos}",
      std::process::id(),
      NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&path).expect("create temporary directory");
    TempDir { path }
  }

  pub fn path(&self) -> &Path {
    &self.path
  }
}

impl Drop for TempDir {
  fn drop(&mut self) {
    let _ = std::fs::remove_dir_all(&self.path);
  }
}

/// One Durable Object namespace of a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoNamespace {
  /// The class the worker exports.
  pub class_name: String,
  /// The `env` binding name, or `None` for a class declared by a migration
  /// with no binding (it still gets a namespace, as under wrangler dev).
  pub binding: Option<String>,
  /// `new_sqlite_classes` (true) or `new_classes` (false).
  pub enable_sql: bool,
}

/// One ES-module worker as workerd should run it.
#[derive(Debug, Clone)]
pub struct WorkerdConfig {
  /// The worker's name; Durable Object `uniqueKey`s are `"<name>-<Class>"`.
  pub name: String,
  /// The directory the modules are read from.
  pub dir: PathBuf,
  /// The main module, relative to `dir`.
  pub main: String,
  /// Further modules, relative to `dir` (named by that relative path).
  pub modules: Vec<String>,
  pub compatibility_date: String,
  pub compatibility_flags: Vec<String>,
  pub durable_objects: Vec<DoNamespace>,
  /// Whether the worker may connect to loopback and private addresses
  /// (workerd's default outbound reaches only public ones), as kiln's may.
  pub local_network: bool,
  /// `[vars]` with string values: text bindings.
  pub vars: Vec<(String, String)>,
}

impl WorkerdConfig {
  /// Reads the subset of wrangler.toml the test workers use: top-level
  /// `name`, `main`, `compatibility_date`, `compatibility_flags`,
  /// `[[durable_objects.bindings]]` (`name`, `class_name`) and
  /// `[[migrations]]` (`new_classes`, `new_sqlite_classes`,
  /// `deleted_classes`, `renamed_classes` is not supported) and string
  /// `[vars]`. Every other
  /// `.js`/`.mjs` file next to `main` is added as a module.
  pub fn from_wrangler_toml(path: &Path) -> WorkerdConfig {
    let text =
      std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let dir = path.parent().expect("config directory").to_path_buf();
    let mut top: Vec<(String, TomlValue)> = Vec::new();
    let mut bindings: Vec<Vec<(String, TomlValue)>> = Vec::new();
    let mut migrations: Vec<Vec<(String, TomlValue)>> = Vec::new();
    let mut vars: Vec<(String, String)> = Vec::new();
    #[derive(PartialEq)]
    enum Section {
      Top,
      Binding,
      Migration,
      Vars,
      Other,
    }
    let mut section = Section::Top;
    for (n, raw) in text.lines().enumerate() {
      let line = strip_comment(raw).trim().to_string();
      if line.is_empty() {
        continue;
      }
      if line.starts_with('[') {
        section = match line.as_str() {
          "[[durable_objects.bindings]]" => {
            bindings.push(Vec::new());
            Section::Binding
          }
          "[[migrations]]" => {
            migrations.push(Vec::new());
            Section::Migration
          }
          "[vars]" => Section::Vars,
          _ => Section::Other,
        };
        continue;
      }
      let (key, value) = line
        .split_once('=')
        .unwrap_or_else(|| panic!("{}:{}: not `key = value`: {raw}", path.display(), n + 1));
      let entry = (
        key.trim().to_string(),
        parse_toml_value(value.trim(), path, n + 1),
      );
      match section {
        Section::Top => top.push(entry),
        Section::Binding => bindings.last_mut().unwrap().push(entry),
        Section::Migration => migrations.last_mut().unwrap().push(entry),
        Section::Vars => match entry.1 {
          TomlValue::Str(value) => vars.push((entry.0, value)),
          other => panic!(
            "{}: only string vars are supported, got {other:?}",
            path.display()
          ),
        },
        Section::Other => {}
      }
    }
    let get = |table: &[(String, TomlValue)], key: &str| -> Option<TomlValue> {
      table.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    let string = |table: &[(String, TomlValue)], key: &str| -> Option<String> {
      match get(table, key) {
        Some(TomlValue::Str(s)) => Some(s),
        Some(other) => panic!(
          "{}: {key} should be a string, got {other:?}",
          path.display()
        ),
        None => None,
      }
    };
    let list = |table: &[(String, TomlValue)], key: &str| -> Vec<String> {
      match get(table, key) {
        Some(TomlValue::List(l)) => l,
        Some(other) => panic!("{}: {key} should be a list, got {other:?}", path.display()),
        None => Vec::new(),
      }
    };
    // Replay the migrations as wrangler does: class name -> uses SQLite.
    let mut classes: Vec<(String, bool)> = Vec::new();
    for m in &migrations {
      for c in list(m, "deleted_classes") {
        let i = classes
          .iter()
          .position(|(k, _)| *k == c)
          .unwrap_or_else(|| {
            panic!("Cannot apply deleted_classes migration to non-existent class {c}")
          });
        classes.remove(i);
      }
      for (key, sql) in [("new_classes", false), ("new_sqlite_classes", true)] {
        for c in list(m, key) {
          assert!(
            !classes.iter().any(|(k, _)| *k == c),
            "Cannot apply {key} migration to existing class {c}"
          );
          classes.push((c, sql));
        }
      }
    }
    let mut durable_objects = Vec::new();
    for b in &bindings {
      let class_name = string(b, "class_name").expect("binding without class_name");
      let enable_sql = classes
        .iter()
        .find(|(k, _)| *k == class_name)
        .is_some_and(|(_, sql)| *sql);
      durable_objects.push(DoNamespace {
        binding: Some(string(b, "name").expect("binding without name")),
        class_name,
        enable_sql,
      });
    }
    for (class_name, enable_sql) in classes {
      if !durable_objects.iter().any(|d| d.class_name == class_name) {
        durable_objects.push(DoNamespace {
          class_name,
          binding: None,
          enable_sql,
        });
      }
    }
    let main = string(&top, "main").expect("wrangler.toml without main");
    let mut modules: Vec<String> = std::fs::read_dir(&dir)
      .expect("read worker directory")
      .filter_map(|e| e.ok())
      .map(|e| e.file_name().to_string_lossy().into_owned())
      .filter(|f| (f.ends_with(".js") || f.ends_with(".mjs")) && *f != main)
      .collect();
    modules.sort();
    WorkerdConfig {
      name: string(&top, "name").expect("wrangler.toml without name"),
      dir,
      main,
      modules,
      compatibility_date: string(&top, "compatibility_date").expect("no compatibility_date"),
      compatibility_flags: list(&top, "compatibility_flags"),
      durable_objects,
      local_network: false,
      vars,
    }
  }

  /// The `uniqueKey` of a class, as Miniflare derives it.
  pub fn unique_key(&self, class_name: &str) -> String {
    format!("{}-{class_name}", self.name)
  }

  /// The Cap'n Proto text config: the worker on `127.0.0.1:port`, Durable
  /// Objects stored on disk under `do_dir` (one folder per `uniqueKey`).
  pub fn to_capnp(&self, port: u16, do_dir: &Path) -> String {
    let quote = |s: &str| format!("{s:?}");
    let mut modules = vec![format!(
      "(name = {}, esModule = embed {})",
      quote(&self.main),
      quote(&self.main)
    )];
    for m in &self.modules {
      modules.push(format!(
        "(name = {}, esModule = embed {})",
        quote(m),
        quote(m)
      ));
    }
    let flags: Vec<String> = self.compatibility_flags.iter().map(|f| quote(f)).collect();
    let namespaces: Vec<String> = self
      .durable_objects
      .iter()
      .map(|d| {
        format!(
          "(className = {}, uniqueKey = {}, enableSql = {})",
          quote(&d.class_name),
          quote(&self.unique_key(&d.class_name)),
          d.enable_sql
        )
      })
      .collect();
    let bindings: Vec<String> = self
      .durable_objects
      .iter()
      .filter_map(|d| {
        d.binding.as_ref().map(|b| {
          format!(
            "(name = {}, durableObjectNamespace = {})",
            quote(b),
            quote(&d.class_name)
          )
        })
      })
      .chain(
        self
          .vars
          .iter()
          .map(|(name, value)| format!("(name = {}, text = {})", quote(name), quote(value))),
      )
      .collect();
    let (net_service, outbound) = if self.local_network {
      (
        "\x20   (name = \"net\", network = (allow = [\"public\", \"private\", \"local\"])),\n",
        "  globalOutbound = \"net\",\n",
      )
    } else {
      ("", "")
    };
    let storage = if self.durable_objects.is_empty() {
      String::new()
    } else {
      "  durableObjectStorage = (localDisk = \"do-disk\"),\n".to_string()
    };
    format!(
      "using Workerd = import \"/workerd/workerd.capnp\";\n\
       const config :Workerd.Config = (\n\
       \x20 services = [\n\
       \x20   (name = \"main\", worker = .w),\n\
       \x20   (name = \"do-disk\", disk = (path = {disk}, writable = true)),\n\
       {net_service}\
       \x20 ],\n\
       \x20 sockets = [(name = \"http\", address = \"127.0.0.1:{port}\", http = (), service = \"main\")],\n\
       );\n\
       const w :Workerd.Worker = (\n\
       \x20 compatibilityDate = {date},\n\
       \x20 compatibilityFlags = [{flags}],\n\
       \x20 modules = [{modules}],\n\
       \x20 durableObjectNamespaces = [{namespaces}],\n\
       {storage}\
       {outbound}\
       \x20 bindings = [{bindings}],\n\
       );\n",
      disk = quote(&do_dir.to_string_lossy()),
      date = quote(&self.compatibility_date),
      flags = flags.join(", "),
      modules = modules.join(",\n    "),
      namespaces = namespaces.join(",\n    "),
      bindings = bindings.join(",\n    "),
    )
  }
}

#[derive(Debug, Clone)]
enum TomlValue {
  Str(String),
  List(Vec<String>),
  Other,
}

fn strip_comment(line: &str) -> &str {
  let mut in_string = false;
  for (i, c) in line.char_indices() {
    match c {
      '"' => in_string = !in_string,
      '#' if !in_string => return &line[..i],
      _ => {}
    }
  }
  line
}

fn parse_toml_value(v: &str, path: &Path, line: usize) -> TomlValue {
  let unquote = |s: &str| -> String {
    let s = s.trim();
    assert!(
      s.len() >= 2 && s.starts_with('"') && s.ends_with('"'),
      "{}:{line}: expected a string, got {s}",
      path.display()
    );
    s[1..s.len() - 1].to_string()
  };
  if v.starts_with('"') {
    TomlValue::Str(unquote(v))
  } else if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
    TomlValue::List(
      inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(unquote)
        .collect(),
    )
  } else {
    TomlValue::Other
  }
}

/// A running workerd; killed (SIGKILL) when dropped.
pub struct Workerd {
  child: Child,
  pub addr: SocketAddr,
  output: Arc<Mutex<String>>,
  _config_dir: TempDir,
  _state_dir: Option<TempDir>,
}

impl Workerd {
  /// Starts `config` with Durable Object state under `do_dir` (created if
  /// missing; reuse it to restart on the same state), or in a temporary
  /// directory removed on drop when `do_dir` is `None`.
  pub fn start(config: &WorkerdConfig, do_dir: Option<&Path>) -> Workerd {
    let (state_dir, do_dir) = match do_dir {
      Some(dir) => (None, dir.to_path_buf()),
      None => {
        let t = TempDir::new("workerd-state");
        let p = t.path().to_path_buf();
        (Some(t), p)
      }
    };
    std::fs::create_dir_all(&do_dir).expect("create the Durable Object directory");
    let config_dir = TempDir::new("workerd-config");
    for module in std::iter::once(&config.main).chain(&config.modules) {
      let to = config_dir.path().join(module);
      if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).unwrap();
      }
      std::fs::copy(config.dir.join(module), &to).unwrap_or_else(|e| panic!("copy {module}: {e}"));
    }
    let mut last_output = String::new();
    // A port picked as free can be taken before workerd binds it: retry.
    for _ in 0..3 {
      let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
      std::fs::write(
        config_dir.path().join("config.capnp"),
        config.to_capnp(port, &do_dir),
      )
      .unwrap();
      let mut child = Command::new(workerd_bin())
        .args(["serve", "config.capnp", "--verbose"])
        .current_dir(config_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start workerd");
      let output = Arc::new(Mutex::new(String::new()));
      for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
      ] {
        let out = output.clone();
        std::thread::spawn(move || {
          for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut out = out.lock().unwrap();
            out.push_str(&line);
            out.push('\n');
          }
        });
      }
      let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
      let deadline = Instant::now() + Duration::from_secs(20);
      loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
          return Workerd {
            child,
            addr,
            output,
            _config_dir: config_dir,
            _state_dir: state_dir,
          };
        }
        if let Ok(Some(_)) = child.try_wait() {
          std::thread::sleep(Duration::from_millis(50)); // let the readers finish
          last_output = output.lock().unwrap().clone();
          break;
        }
        if Instant::now() > deadline {
          let _ = child.kill();
          let _ = child.wait();
          panic!(
            "workerd did not accept on {addr} within 20 s; it printed:\n{}",
            output.lock().unwrap()
          );
        }
        std::thread::sleep(Duration::from_millis(20));
      }
      if !last_output.contains("in use") {
        break;
      }
    }
    panic!(
      "workerd exited before accepting connections; config:\n{}\nit printed:\n{last_output}",
      config.to_capnp(0, &do_dir)
    );
  }

  /// Everything workerd printed so far (stdout and stderr, by line).
  pub fn output(&self) -> String {
    self.output.lock().unwrap().clone()
  }

  /// Kills the process at once (SIGKILL) and waits for it.
  pub fn kill(mut self) {
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

impl Drop for Workerd {
  fn drop(&mut self) {
    // workerd does not always stop on SIGTERM while a socket is half-open.
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}
