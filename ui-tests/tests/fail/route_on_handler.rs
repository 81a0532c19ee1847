use scw_private::scw_private;

// `route` names a gRPC method's route: an HTTP handler has none.
#[scw_private(route = "List")]
async fn list() -> &'static str {
    "list"
}

fn main() {}
