//! The attribute's check as tower middleware, for a whole service or router (feature `tower`).
//!
//! [`ScwPrivateLayer`] builds [`ScwPrivate`], whose future is [`ResponseFuture`] and whose
//! responses carry a [`ResponseBody`]: the inner service's body, or the refusal's. The layer
//! asks nothing of the inner body, so it sits anywhere in a stack: around axum, tonic,
//! hyper, tower-http's `CompressionLayer` or `TraceLayer`, or a boxed body.

mod body;
mod future;
mod paths;
pub(crate) mod service;

pub use self::body::ResponseBody;
pub use self::future::ResponseFuture;
pub use self::service::ScwPrivate;

use tower_layer::Layer;

use self::paths::{Paths, Rule};
use crate::{Policy, Verifier};

/// Protects every request to the wrapped service with a [`Policy`], the same options and the
/// same responses as `#[scw_private]`.
///
/// An accepted request reaches the inner service with its [`Access`](crate::Access) in the
/// request extensions, and its [`Claims`](crate::Claims) when a token let it in (so axum's
/// extractors find them without verifying again). A refused one never reaches it: the layer
/// answers with the RFC 6750 response, or for a gRPC call (`POST` with a `content-type` of
/// `application/grpc`, alone or followed by `+` or `;`) with a trailers-only gRPC status.
///
/// The verifier is fixed when the layer is built: [`Verifier::global`], or the one given with
/// [`verifier`](Self::verifier). A request extension of type [`Verifier`] is never read (see
/// [which verifier checks a request](crate::Verifier#which-verifier-checks-a-request)).
///
/// ```
/// # #[cfg(feature = "axum-0_8")] {
/// use axum::{Router, routing::get};
/// use scw_private::layer::ScwPrivateLayer;
/// use scw_private::{Claims, Policy, Scope};
///
/// async fn whoami(claims: Claims) -> String {
///     format!("{:?}", claims.kind())
/// }
///
/// let app: Router = Router::new()
///     .route("/whoami", get(whoami))
///     .layer(ScwPrivateLayer::new(Policy::new().scope(Scope::ContainerToken)));
/// # }
/// ```
///
/// # Policies by path
///
/// One layer in front of a REST router and gRPC services can check some paths with another
/// policy, or let some through: [`path`](Self::path) and [`public`](Self::public) take a path
/// prefix, matched segment by segment (`/admin` covers `/admin` and `/admin/users`, not
/// `/administrator`), and the longest matching prefix wins. A request that no entry matches
/// is checked with the layer's own policy: nothing is public unless an entry says so. A path
/// with percent-encoding, an empty segment or a dot segment (`/public/../admin`) never
/// matches a `public` entry.
///
/// ```
/// use scw_private::layer::ScwPrivateLayer;
/// use scw_private::{Policy, Scope};
///
/// let layer = ScwPrivateLayer::new(Policy::new())
///     .path("/admin", Policy::new().scope(Scope::ContainerToken))
///     .path("/helloworld.Greeter/Restart", Policy::new().scope(Scope::ContainerToken))
///     .public("/grpc.health.v1.Health")
///     .public("/healthz");
/// // Before binding: Verifier::global().preflight_all(layer.policies())
/// # let _ = layer;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ScwPrivateLayer {
    verifier: Verifier,
    paths: Paths,
}

impl ScwPrivateLayer {
    /// Protects with `policy` (like the attribute's arguments), checked by
    /// [`Verifier::global`] unless [`verifier`](Self::verifier) gives another.
    pub fn new(policy: Policy) -> Self {
        Self {
            verifier: Verifier::global().clone(),
            paths: Paths::new(policy),
        }
    }

    /// Checks requests whose path is `prefix` or below it with `policy` instead.
    ///
    /// # Panics
    ///
    /// If `prefix` does not start with `/`: it is program text, so this is a mistake in the
    /// program, found when the layer is built.
    #[track_caller]
    pub fn path(mut self, prefix: &'static str, policy: Policy) -> Self {
        self.paths = self.paths.with(prefix, Rule::Check(policy));
        self
    }

    /// Lets requests whose path is `prefix` or below it through unchecked: a health check,
    /// reflection, a public page. They carry no [`Access`](crate::Access).
    ///
    /// # Panics
    ///
    /// If `prefix` does not start with `/`, as [`path`](Self::path).
    #[track_caller]
    pub fn public(mut self, prefix: &'static str) -> Self {
        self.paths = self.paths.with(prefix, Rule::Public);
        self
    }

    /// Every policy the layer checks requests with, for
    /// [`Verifier::preflight_all`](crate::Verifier::preflight_all) before the server binds.
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.paths.policies()
    }

    /// Checks requests with this verifier instead of [`Verifier::global`].
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }
}

impl<S> Layer<S> for ScwPrivateLayer {
    type Service = ScwPrivate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScwPrivate::new(inner, self.verifier.clone(), self.paths.clone())
    }
}

#[cfg(test)]
mod tests;
