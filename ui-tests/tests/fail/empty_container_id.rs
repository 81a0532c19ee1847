use scw_private::scw_private;

#[scw_private(container_id = "")]
async fn handler() {}

fn main() {}
