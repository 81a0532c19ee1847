use scw_private::scw_private;

#[scw_private("container")]
async fn handler() {}

fn main() {}
