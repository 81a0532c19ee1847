//! The variables the platform injects into a container, which [`Verifier::from_env`] reads.
//!
//! [`Verifier::from_env`]: crate::Verifier::from_env

/// The PEM public key that verifies tokens (PKCS#1 `BEGIN RSA PUBLIC KEY` in practice).
pub const PUBLIC_KEY: &str = "SCW_PUBLIC_KEY";
/// This container's namespace id.
pub const NAMESPACE_ID: &str = "SCW_NAMESPACE_ID";
/// This container's id.
pub const CONTAINER_ID: &str = "SCW_APPLICATION_ID";
/// The container's privacy: `true` on a public container, `false` on a private one (any
/// case, ASCII white space around it). Unset, or anything else, is unknown and trusts
/// nothing: `public_if_env` lets no request in without a token, and `platform_iam` trusts no
/// edge.
pub const PUBLIC: &str = "SCW_PUBLIC";
