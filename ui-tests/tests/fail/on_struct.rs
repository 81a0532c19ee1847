use scw_private::scw_private;

#[scw_private]
struct Handler;

fn main() {}
