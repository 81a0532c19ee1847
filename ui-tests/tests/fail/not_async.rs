use scw_private::scw_private;

#[scw_private]
fn handler() -> &'static str {
    "ok"
}

fn main() {}
