use scw_private::scw_private;

struct Request<T>(T);
struct Status;

trait Greeter {
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status>;
}

struct MyGreeter;

// The `impl` lacks `#[scw_private]`: the method's body would be the first place the call is
// checked, after tonic has read its message.
impl Greeter for MyGreeter {
    #[scw_private(container)]
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status> {
        let _ = request.0;
        Ok(())
    }
}

fn main() {}
