use scw_private::scw_private;

struct Handlers;

#[scw_private]
impl Handlers {
    async fn list() -> &'static str {
        "list"
    }
}

fn main() {}
