//! How a request was let through: the one answer of [`Verifier::authorize`](crate::Verifier::authorize).

use crate::verification::claims::Claims;

/// How a request was let through to a protected handler.
///
/// [`Verifier::authorize`](crate::Verifier::authorize) and
/// [`ScwPrivateLayer`](crate::layer::ScwPrivateLayer) return it, and a handler receives it as
/// an extractor (axum and actix-web). Most handlers only need the claims: take [`Claims`]
/// (a token is required) or `Option<Claims>` (`None` for the ways in without a token).
///
/// ```
/// use scw_private::Access;
///
/// fn who(access: &Access) -> String {
///     match access {
///         Access::Token(claims) => format!("a {:?} token", claims.kind()),
///         Access::PublicContainer => "anyone: the container is public".to_owned(),
///         Access::PlatformIam => "a caller the platform's edge authenticated".to_owned(),
///         // New ways in may appear in a minor release: without this arm, error E0004.
///         _ => "another way in".to_owned(),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// A token was verified and grants access here: its claims.
    Token(Claims),
    /// No token was needed: the container is public (`SCW_PUBLIC=true`) and the route lets
    /// such calls through (`public_if_env`). The call is anonymous.
    PublicContainer,
    /// The platform's edge authenticated the call, with an IAM secret key or a JWT it did not
    /// forward, on a private container (`SCW_PUBLIC=false`) whose route trusts it
    /// (`platform_iam`). Nothing here could verify who called.
    PlatformIam,
}

impl Access {
    /// The claims of the verified token, if a token let the request through.
    pub fn claims(&self) -> Option<&Claims> {
        match self {
            Self::Token(claims) => Some(claims),
            Self::PublicContainer | Self::PlatformIam => None,
        }
    }

    /// The claims of the verified token, if a token let the request through.
    pub fn into_claims(self) -> Option<Claims> {
        match self {
            Self::Token(claims) => Some(claims),
            Self::PublicContainer | Self::PlatformIam => None,
        }
    }

    /// A fixed name for the way in, for logs and responses: `"token"`, `"public_container"`
    /// or `"platform_iam"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Token(_) => "token",
            Self::PublicContainer => "public_container",
            Self::PlatformIam => "platform_iam",
        }
    }
}

/// The claims of a request's token if it carries one, `None` if it carries none; a token
/// that is present but refused (forged, expired, out of scope) is refused, with the same
/// response in every framework.
///
/// axum's `Option<Claims>` behaves exactly so. actix-web's `Option<T>` turns every error of
/// `T` into `None`, so on an actix-web handler *without* `#[scw_private]` an `Option<Claims>`
/// parameter would read a forged token as no token: take `OptionalClaims` there. Behind the
/// attribute (or the layer) both are `None` only when the check let the request in without a
/// token ([`Access::PublicContainer`], [`Access::PlatformIam`]).
///
/// ```
/// # #[cfg(feature = "actix-web-4")] {
/// use actix_web::get;
/// use scw_private::OptionalClaims;
///
/// /// Anyone may read the feed; a caller with a valid token sees more.
/// #[get("/feed")]
/// async fn feed(OptionalClaims(claims): OptionalClaims) -> String {
///     match claims {
///         Some(claims) => format!("your feed, {:?}", claims.container_id()),
///         None => "the public feed".to_owned(),
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionalClaims(pub Option<Claims>);
