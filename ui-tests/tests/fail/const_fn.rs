use scw_private::scw_private;

#[scw_private]
const fn handler() -> u8 {
    1
}

fn main() {}
