use scw_private::scw_private;

#[scw_private(namespace_id = 42)]
async fn handler() {}

fn main() {}
