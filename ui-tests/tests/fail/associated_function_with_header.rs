use scw_private::scw_private;

struct Handlers;

impl Handlers {
    #[scw_private(header = "X-Token")]
    async fn list() -> &'static str {
        "ok"
    }
}

fn main() {}
