use scw_private::scw_private;

#[scw_private(namespace, container)]
async fn handler() {}

fn main() {}
