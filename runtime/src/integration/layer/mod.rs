//! The attribute's check as tower middleware, for a whole service or router (feature `tower`).
//!
//! [`ScwPrivateLayer`] builds [`ScwPrivate`], whose future is [`ResponseFuture`] and whose
//! responses carry a [`ResponseBody`]: the inner service's body, or the refusal's. The layer
//! asks nothing of the inner body, so it sits anywhere in a stack: around axum, tonic,
//! hyper, tower-http's `CompressionLayer` or `TraceLayer`, or a boxed body.

mod body;
mod future;
mod service;

pub use self::body::ResponseBody;
pub use self::future::ResponseFuture;
pub use self::service::ScwPrivate;

use tower_layer::Layer;

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
#[derive(Clone, Debug)]
#[must_use]
pub struct ScwPrivateLayer {
    verifier: Verifier,
    policy: Policy,
}

impl ScwPrivateLayer {
    /// Protects with `policy` (like the attribute's arguments), checked by
    /// [`Verifier::global`] unless [`verifier`](Self::verifier) gives another.
    pub fn new(policy: Policy) -> Self {
        Self {
            verifier: Verifier::global().clone(),
            policy,
        }
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
        ScwPrivate::new(inner, self.verifier.clone(), self.policy)
    }
}

#[cfg(test)]
mod tests;
