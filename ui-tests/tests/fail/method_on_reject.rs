use scw_private::scw_private;

struct Request<T>(T);
struct Status;

fn reject(_: scw_private::Rejection) -> Status {
    Status
}

trait Greeter {
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status>;
}

struct MyGreeter;

#[scw_private]
impl Greeter for MyGreeter {
    // A gRPC method's refusal is its `Status`: there is no HTTP response to render.
    #[scw_private(on_reject = reject)]
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status> {
        let _ = request.0;
        Ok(())
    }
}

fn main() {}
