//! What deno's extensions may do on a worker's behalf. deno_fetch asks this
//! container before every request: a worker may reach any host over the
//! network, as on Workers, and nothing else — no file reads (`fetch` of a
//! `file:` URL), no environment, no subprocesses. Nothing prompts.

use std::sync::Arc;

use deno_permissions::{
  Permissions, PermissionsContainer, PermissionsOptions, RuntimePermissionDescriptorParser,
};

pub fn for_workers() -> PermissionsContainer {
  let parser = Arc::new(RuntimePermissionDescriptorParser::new(
    sys_traits::impls::RealSys,
  ));
  let options = PermissionsOptions {
    // An empty list means every host.
    allow_net: Some(Vec::new()),
    prompt: false,
    ..PermissionsOptions::default()
  };
  let permissions = Permissions::from_options(parser.as_ref(), &options)
    .expect("a fixed permission set always parses");
  PermissionsContainer::new(parser, permissions)
}
