//! deno_fetch asks a permissions container before every outbound request.
//! A worker may reach any host over the network, as in Workers; it never
//! reaches the file system, because the fetch extension's file handler is the
//! default one, which refuses every `file:` URL.

use std::sync::Arc;

use deno_permissions::{PermissionsContainer, RuntimePermissionDescriptorParser};

pub fn network_only() -> PermissionsContainer {
  PermissionsContainer::allow_all(Arc::new(RuntimePermissionDescriptorParser::new(
    sys_traits::impls::RealSys,
  )))
}
