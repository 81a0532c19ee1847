use scw_private::scw_private;

#[scw_private(on_reject = "my_rejection")]
async fn handler() {}

fn main() {}
