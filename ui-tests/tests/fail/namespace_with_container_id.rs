use scw_private::scw_private;

#[scw_private(namespace, container_id = "22222222-2222-2222-2222-222222222222")]
async fn handler() {}

fn main() {}
