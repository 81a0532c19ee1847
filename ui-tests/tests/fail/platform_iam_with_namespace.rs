use scw_private::scw_private;

#[scw_private(namespace, platform_iam)]
async fn handler() {}

fn main() {}
