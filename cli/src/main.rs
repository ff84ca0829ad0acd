//! `kiln`: run Workers-style scripts locally.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
  name = "kiln",
  version,
  about = "A Workers-compatible JavaScript runtime"
)]
struct Cli {
  #[command(subcommand)]
  command: Command,
}

#[derive(Subcommand)]
enum Command {
  /// Serve a worker over HTTP on this machine.
  Dev(DevArgs),
}

#[derive(Parser)]
struct DevArgs {
  /// A worker script, a wrangler configuration file, or a directory holding
  /// one. Without it, the configuration is discovered from the current
  /// directory upwards.
  path: Option<PathBuf>,
  /// The address to listen on [default: the config's dev.ip, else 127.0.0.1].
  #[arg(long)]
  ip: Option<IpAddr>,
  /// The port to listen on; 0 picks a free one [default: the config's
  /// dev.port, else 8787].
  #[arg(long)]
  port: Option<u16>,
}

fn main() -> ExitCode {
  let cli = Cli::parse();
  match cli.command {
    Command::Dev(args) => match dev(args) {
      Ok(()) => ExitCode::SUCCESS,
      Err(message) => {
        eprintln!("error: {message}");
        ExitCode::FAILURE
      }
    },
  }
}

fn dev(args: DevArgs) -> Result<(), String> {
  let target = kiln_runtime::config::resolve_target(args.path.as_deref())?;
  let ip = match (args.ip, &target.dev.ip) {
    (Some(ip), _) => ip,
    (None, Some(ip)) => ip
      .parse()
      .map_err(|_| format!("dev.ip is not an IP address: {ip:?}"))?,
    (None, None) => IpAddr::from([127, 0, 0, 1]),
  };
  let port = args.port.or(target.dev.port).unwrap_or(8787);
  let listener = TcpListener::bind(SocketAddr::new(ip, port))
    .map_err(|e| format!("cannot listen on {ip}:{port}: {e}"))?;
  listener
    .set_nonblocking(true)
    .map_err(|e| format!("cannot listen on {ip}:{port}: {e}"))?;
  let address = listener
    .local_addr()
    .map_err(|e| format!("cannot read the bound address: {e}"))?;
  let name = target.spec.name.clone();
  kiln_runtime::start_worker(target.spec, listener).map_err(|e| e.to_string())?;
  // Tests and scripts read this line to learn the port when given --port 0.
  println!("kiln: worker \"{name}\" ready on http://{address}");
  loop {
    std::thread::park();
  }
}
