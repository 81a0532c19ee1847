use scw_private::scw_private;

trait Greeter {}

struct MyGreeter;

// The policies go on the methods; the `impl` takes none.
#[scw_private(container)]
impl Greeter for MyGreeter {}

fn main() {}
