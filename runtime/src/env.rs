//! The variables the platform injects into a container, which [`Verifier::from_env`] reads.
//!
//! [`Verifier::from_env`]: crate::Verifier::from_env

/// The PEM public key that verifies tokens (PKCS#1 `BEGIN RSA PUBLIC KEY` in practice).
pub const PUBLIC_KEY: &str = "SCW_PUBLIC_KEY";
/// This container's namespace id.
pub const NAMESPACE_ID: &str = "SCW_NAMESPACE_ID";
/// This container's id.
pub const CONTAINER_ID: &str = "SCW_APPLICATION_ID";
/// `true` when the container is public; set to anything else on a private one.
pub const PUBLIC: &str = "SCW_PUBLIC";
