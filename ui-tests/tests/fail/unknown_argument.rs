use scw_private::scw_private;

#[scw_private(container, admin_only)]
async fn handler() {}

fn main() {}
