//! The protected routes both test apps serve, and what each must answer to every token.

use std::net::SocketAddr;

use scw_private::{Policy, Scope};

use crate::grpc::{call_route, grpc_client};
use crate::{Token, get, verifier};

/// The protected routes both test apps serve, one per argument form.
#[derive(Clone, Copy, Debug)]
pub enum Route {
    /// `#[scw_private]`
    Any,
    /// `#[scw_private(container)]`
    Container,
    /// `#[scw_private(namespace)]`
    Namespace,
    /// `#[scw_private(namespace_id = "ns-explicit")]`
    ExplicitNamespace,
    /// `#[scw_private(container, container_id = "ct-explicit")]`
    ExplicitContainer,
    /// `#[scw_private(header = "X-Token")]`
    CustomHeader,
    /// `#[scw_private(public_if_env)]`, served by a private verifier
    MaybePublic,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::Any,
        Route::Container,
        Route::Namespace,
        Route::ExplicitNamespace,
        Route::ExplicitContainer,
        Route::CustomHeader,
        Route::MaybePublic,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Route::Any => "/any",
            Route::Container => "/container",
            Route::Namespace => "/namespace",
            Route::ExplicitNamespace => "/explicit-namespace",
            Route::ExplicitContainer => "/explicit-container",
            Route::CustomHeader => "/custom-header",
            Route::MaybePublic => "/maybe-public",
        }
    }

    /// The policy of the route's attribute, for the forms that take a [`Policy`] (the tower
    /// layer, the tonic interceptor).
    pub fn policy(self) -> Policy {
        match self {
            Route::Any => Policy::new(),
            Route::Container => Policy::new().scope(Scope::ContainerToken),
            Route::Namespace => Policy::new().scope(Scope::NamespaceToken),
            Route::ExplicitNamespace => Policy::new().namespace_id("ns-explicit"),
            Route::ExplicitContainer => Policy::new()
                .scope(Scope::ContainerToken)
                .container_id("ct-explicit"),
            Route::CustomHeader => Policy::new().header("X-Token"),
            Route::MaybePublic => Policy::new().public_if_env(true),
        }
    }

    /// The two ways of sending a token this route reads.
    pub fn header_forms(self, token: &str) -> [(&'static str, String); 2] {
        match self {
            Route::CustomHeader => [
                ("X-Token", token.to_owned()),
                ("X-Token", format!("Bearer {token}")),
            ],
            _ => [
                ("Authorization", format!("Bearer {token}")),
                ("X-Auth-Token", token.to_owned()),
            ],
        }
    }

    /// Every way the matrix sends `token` to this route: nothing for no token, else each
    /// header form.
    pub fn sendings(self, token: Token) -> Vec<Option<(&'static str, String)>> {
        match token.value() {
            None => vec![None],
            Some(value) => self.header_forms(&value).into_iter().map(Some).collect(),
        }
    }

    /// The status this route must answer `token` with.
    pub fn expected(self, token: Token) -> u16 {
        use Token as T;
        match token {
            T::None | T::Bad | T::Expired => return 401,
            _ => {}
        }
        let granted = match self {
            Route::Any | Route::CustomHeader | Route::MaybePublic => matches!(
                token,
                T::Namespace | T::Container | T::ContainerWithoutNamespace | T::ContainerIdSpelling
            ),
            Route::Container => {
                matches!(
                    token,
                    T::Container | T::ContainerWithoutNamespace | T::ContainerIdSpelling
                )
            }
            Route::Namespace => token == T::Namespace,
            // Namespace `ns-explicit`, container `CT`: only a namespace token for `ns-explicit`
            // or a container token for `CT` that names no namespace.
            Route::ExplicitNamespace => {
                matches!(token, T::ExplicitNamespace | T::ContainerWithoutNamespace)
            }
            Route::ExplicitContainer => token == T::ExplicitContainer,
        };
        if granted { 200 } else { 403 }
    }

    /// The RFC 6750 `error` code expected with `status`.
    pub fn error_code(status: u16, token: Token) -> Option<&'static str> {
        match (status, token) {
            (200, _) => None,
            (401, Token::None) => Some("missing_token"),
            (401, _) => Some("invalid_token"),
            (403, _) => Some("insufficient_scope"),
            _ => unreachable!(),
        }
    }
}

/// Sends every token of the matrix, in both header forms, to every route of the app at `addr`,
/// and checks status, challenge, body and, when granted, the claims the handler received.
pub async fn check_route_matrix(addr: SocketAddr) -> usize {
    let mut checked = 0;
    for route in Route::ALL {
        for token in Token::ALL {
            let expected = route.expected(token);
            for sent in route.sendings(token) {
                let headers: Vec<(&str, &str)> =
                    sent.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let response = get(addr, route.path(), &headers).await;
                let context = format!("{route:?} {token:?} {:?}", sent.as_ref().map(|f| f.0));
                match Route::error_code(expected, token) {
                    None => {
                        assert_eq!(response.status, 200, "{context}: {response:?}");
                        let claims = response.json();
                        assert_eq!(claims["kind"], token.kind(), "{context}: {claims}");
                    }
                    Some(code) => {
                        assert_eq!(response.status, expected, "{context}: {response:?}");
                        response.assert_refusal(expected, code);
                    }
                }
                checked += 1;
            }
        }
    }
    checked
}

/// The gRPC status a refused gRPC call gets, for the HTTP status of the same refusal.
pub fn grpc_code(status: u16) -> tonic::Code {
    match status {
        400 => tonic::Code::InvalidArgument,
        401 => tonic::Code::Unauthenticated,
        403 => tonic::Code::PermissionDenied,
        500 => tonic::Code::Internal,
        _ => unreachable!("no refusal answers {status}"),
    }
}

/// The same matrix over gRPC: every token, in both metadata forms, to the method of every
/// route, served at `addr_of(route)`. A case the HTTP table accepts must be accepted, with the
/// token's kind reaching the method; a refused one must get the gRPC code of its HTTP class
/// and, as `grpc-message`, the `error_description` an HTTP client gets for the same headers.
pub async fn check_grpc_route_matrix(addr_of: impl Fn(Route) -> SocketAddr) -> usize {
    let mut checked = 0;
    for route in Route::ALL {
        let mut client = grpc_client(addr_of(route)).await;
        for token in Token::ALL {
            let expected = route.expected(token);
            for sent in route.sendings(token) {
                let metadata: Vec<(&str, &str)> =
                    sent.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let context = format!("gRPC {route:?} {token:?} {:?}", sent.as_ref().map(|f| f.0));
                let answer = call_route(&mut client, route, &metadata).await;
                if expected == 200 {
                    let caller = answer.unwrap_or_else(|status| panic!("{context}: {status:?}"));
                    assert_eq!(caller.kind, token.kind(), "{context}");
                    assert_eq!(caller.access, "token", "{context}");
                } else {
                    let status = answer.expect_err(&context);
                    assert_eq!(status.code(), grpc_code(expected), "{context}: {status:?}");
                    // What the HTTP answer says for the same headers.
                    let mut headers = http::HeaderMap::new();
                    for (name, value) in &metadata {
                        headers.append(
                            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                                .unwrap(),
                            value.parse().unwrap(),
                        );
                    }
                    let http = verifier(false)
                        .authorize(&headers, &route.policy())
                        .expect_err(&context);
                    assert_eq!(http.status(), expected, "{context}");
                    assert_eq!(status.message(), http.reason().as_str(), "{context}");
                }
                checked += 1;
            }
        }
    }
    checked
}
