use scw_private::scw_private;

#[scw_private]
const HANDLER: u8 = 1;

fn main() {}
