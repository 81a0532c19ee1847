use scw_private::scw_private;

#[scw_private(container, container)]
async fn handler() {}

fn main() {}
