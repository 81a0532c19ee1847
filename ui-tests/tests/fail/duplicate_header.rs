use scw_private::scw_private;

#[scw_private(header = "X-Token", header = "X-Other")]
async fn handler() {}

fn main() {}
