use scw_private::scw_private;

#[scw_private]
async unsafe fn handler() {}

fn main() {}
