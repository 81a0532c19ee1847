use scw_private::scw_private;

#[scw_private(crate = "scw_private")]
async fn handler() {}

fn main() {}
