use scw_private::scw_private;

const NAMESPACE: &str = "11111111-1111-1111-1111-111111111111";

#[scw_private(namespace_id = NAMESPACE)]
async fn handler() {}

fn main() {}
