use scw_private::scw_private;

#[scw_private(header = "X Auth Token")]
async fn handler() {}

fn main() {}
