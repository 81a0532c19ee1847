use scw_private::scw_private;

#[scw_private(header)]
async fn handler() {}

fn main() {}
