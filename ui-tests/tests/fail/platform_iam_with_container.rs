use scw_private::scw_private;

#[scw_private(platform_iam, container)]
async fn handler() {}

fn main() {}
