use scw_private::scw_private;

#[scw_private(public_if_env = true)]
async fn handler() {}

fn main() {}
