using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .echoWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8792", http = (), service = "main")],
);

const echoWorker :Workerd.Worker = (
  modules = [(name = "echo.js", esModule = embed "echo.js")],
  compatibilityDate = "2026-05-01",
);
