use scw_private::scw_private;

#[scw_private(namespace, container)]
fn handler() {}

fn main() {}
