//! A gRPC container whose environment has no key: every protected call is refused with
//! `INTERNAL` in every form, never let through, and the message says nothing about the
//! configuration. One test per binary, for the environment.

use scw_private::Policy;
use tests::grpc::{call_route, every_form, grpc_client, serve_grpc};
use tests::{CT, NS, Route, platform_token};
use tonic::Code;

#[test]
fn a_missing_key_is_internal_in_every_form() {
    // SAFETY: the first statement of the only test in this binary; no other thread exists.
    unsafe {
        std::env::remove_var("SCW_PUBLIC_KEY");
        std::env::set_var("SCW_NAMESPACE_ID", NS);
        std::env::set_var("SCW_APPLICATION_ID", CT);
        std::env::set_var("SCW_PUBLIC", "false");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let token = platform_token(Some(NS), Some(CT));
        for form in every_form(Policy::new()) {
            // No verifier given: the environment's, which has no key.
            let (addr, _) = serve_grpc(form.clone(), None).await;
            let mut client = grpc_client(addr).await;
            for metadata in [vec![], vec![("x-auth-token", token.as_str())]] {
                let status = call_route(&mut client, Route::Any, &metadata)
                    .await
                    .expect_err("a server without a key lets nothing through");
                assert_eq!(status.code(), Code::Internal, "{form:?}");
                assert_eq!(status.message(), "the server cannot verify tokens");
                assert!(!status.message().contains("SCW_PUBLIC_KEY"));
            }
        }
    });
}
