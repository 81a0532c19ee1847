use scw_private::scw_private;

#[scw_private(on_reject)]
async fn handler() {}

fn main() {}
