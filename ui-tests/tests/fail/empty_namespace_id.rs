use scw_private::scw_private;

#[scw_private(namespace_id = "")]
async fn handler() {}

fn main() {}
