//! The protected routes both test apps serve, and what each must answer to every token.

use std::net::SocketAddr;

use crate::{Token, get};

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
            let forms: Vec<Vec<(&str, String)>> = match token.value() {
                None => vec![vec![]],
                Some(value) => route
                    .header_forms(&value)
                    .into_iter()
                    .map(|form| vec![form])
                    .collect(),
            };
            for form in forms {
                let headers: Vec<(&str, &str)> =
                    form.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let response = get(addr, route.path(), &headers).await;
                let context = format!("{route:?} {token:?} {:?}", form.first().map(|f| f.0));
                match Route::error_code(expected, token) {
                    None => {
                        assert_eq!(response.status, 200, "{context}: {response:?}");
                        let claims = response.json();
                        let kind = if token == Token::Namespace || token == Token::ExplicitNamespace
                        {
                            "namespace"
                        } else {
                            "container"
                        };
                        assert_eq!(claims["kind"], kind, "{context}: {claims}");
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
