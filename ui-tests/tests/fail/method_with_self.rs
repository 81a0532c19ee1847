use scw_private::scw_private;

struct Service;

impl Service {
    #[scw_private]
    async fn handler(&self) -> &'static str {
        "ok"
    }
}

fn main() {}
