use scw_private::scw_private;

#[scw_private(platform_iam = true)]
async fn handler() {}

fn main() {}
